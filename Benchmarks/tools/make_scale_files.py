"""Files for timing `sue index` / `sue search --index` at scale: two non-linear views of a 32-dimensional latent
(tanh of a random map, then a random map up to D columns, plus Gaussian noise 0.3), row i of X <-> row i of Y.

  python3 make_scale_files.py OUT_DIR [--rows 1000000] [--dims 768] [--queries 10000] [--pairs 1000]

Writes X.npy and Y.npy (rows x dims, float32, written in blocks through a memory map), Q.npy (the first
`queries` rows of Y, whose partners are rows 0.. of X) and pairs.csv (the first `pairs` rows, identity).
"""
import argparse, os
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("out"); p.add_argument("--rows", type=int, default=1_000_000); p.add_argument("--dims", type=int, default=768)
p.add_argument("--queries", type=int, default=10_000); p.add_argument("--pairs", type=int, default=1000)
a = p.parse_args()
n, d, L = a.rows, a.dims, 32
rng = np.random.default_rng(0)
ax1 = rng.normal(0, 1.5 / np.sqrt(L), (L, 4 * L)).astype(np.float32); ax2 = rng.normal(0, 1 / np.sqrt(4 * L), (4 * L, d)).astype(np.float32)
ay1 = rng.normal(0, 1.5 / np.sqrt(L), (L, 4 * L)).astype(np.float32); ay2 = rng.normal(0, 1 / np.sqrt(4 * L), (4 * L, d)).astype(np.float32)
X = np.lib.format.open_memmap(os.path.join(a.out, "X.npy"), mode="w+", dtype=np.float32, shape=(n, d))
Y = np.lib.format.open_memmap(os.path.join(a.out, "Y.npy"), mode="w+", dtype=np.float32, shape=(n, d))
for s in range(0, n, 100_000):
    z = rng.normal(size=(min(100_000, n - s), L)).astype(np.float32)
    X[s:s + len(z)] = np.tanh(z @ ax1) @ ax2 + 0.3 * rng.normal(size=(len(z), d)).astype(np.float32)
    Y[s:s + len(z)] = np.tanh(z @ ay1) @ ay2 + 0.3 * rng.normal(size=(len(z), d)).astype(np.float32)
X.flush(); Y.flush()
np.save(os.path.join(a.out, "Q.npy"), np.asarray(Y[:a.queries]))
with open(os.path.join(a.out, "pairs.csv"), "w") as f:
    f.write("x,y\n" + "".join(f"{i},{i}\n" for i in range(a.pairs)))
