#!/usr/bin/env python3
"""Writes the files of the README's "Five minutes with your own files" transcript (numpy only).

From ../shared/data/textpairs (MiniLM-L6 and e5-small embeddings of the same 14 656 texts, row i ↔ row i):
1 000 test texts set aside (test_minilm.npy ↔ test_e5.npy, row-aligned); of the rest, 12 000 rows of MiniLM
(minilm.npy) and 11 000 rows of e5 (e5.npy), drawn and shuffled independently, so that the two files have
different lengths and orders; pairs.csv lists 100 texts present in both, as `x,y` row indices.

    python3 Benchmarks/tools/make_tutorial_files.py OUT_DIR [--data ../shared/data/textpairs]
"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/textpairs"))
args = ap.parse_args()
x = np.load(os.path.join(args.data, "minilm.npy")).astype(np.float32)
y = np.load(os.path.join(args.data, "e5small.npy")).astype(np.float32)
rng = np.random.default_rng(0)
order = rng.permutation(len(x))
test, rest = order[:1000], order[1000:]
rows_x = rng.permutation(rest)[:12000]
rows_y = rng.permutation(rest)[:11000]
position_y = {r: i for i, r in enumerate(rows_y)}
shared = [i for i, r in enumerate(rows_x) if r in position_y]
chosen = sorted(rng.choice(shared, 100, replace=False))
os.makedirs(args.out, exist_ok=True)
np.save(os.path.join(args.out, "minilm.npy"), x[rows_x])
np.save(os.path.join(args.out, "e5.npy"), y[rows_y])
np.save(os.path.join(args.out, "test_minilm.npy"), x[test])
np.save(os.path.join(args.out, "test_e5.npy"), y[test])
with open(os.path.join(args.out, "pairs.csv"), "w") as f:
    f.write("x,y\n")
    for i in chosen:
        f.write(f"{i},{position_y[rows_x[i]]}\n")
print(f"wrote {args.out}: minilm.npy 12000, e5.npy 11000, 100 pairs, 1000 test pairs")
