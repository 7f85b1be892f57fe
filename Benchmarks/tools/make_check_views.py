#!/usr/bin/env python3
"""Writes row-aligned data sets, unlike the ones `auto` was developed on, to check that it stays at or above ridge
(numpy only).

From ../shared/data/textpairs (MiniLM, e5 and LSA views of the same 14 656 texts, row i ↔ row i):
- ml4k.npy, lsa4k.npy, e54k.npy: the same 4 000 texts drawn at random from each view (a smaller data set);
- synx.npy, syny.npy: 6 000 rows of a non-text-like pair built on e5 as the shared latent, standardised:
  X = a random two-layer ReLU network (512 hidden units, 300 outputs) plus Gaussian noise of half its scale;
  Y = Poisson counts of 400 "sensor channels" with log-rates linear in the latent, log1p, reduced to 128 columns
  by SVD. Neither side is a linear function of the other or of the latent.

    python3 Benchmarks/tools/make_check_views.py OUT_DIR [--data ../shared/data/textpairs]
"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/textpairs"))
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)
m = np.load(os.path.join(args.data, "minilm.npy"))
l = np.load(os.path.join(args.data, "lsa256.npy"))
e = np.load(os.path.join(args.data, "e5small.npy"))
rng = np.random.default_rng(11)

rows = rng.choice(len(m), 4000, replace=False)
for name, view in [("ml4k", m), ("lsa4k", l), ("e54k", e)]:
    np.save(os.path.join(args.out, name + ".npy"), view[rows].astype(np.float32))

rows = rng.choice(len(m), 6000, replace=False)
z = e[rows].astype(np.float64)
z = (z - z.mean(0)) / z.std(0)
hidden = rng.normal(size=(z.shape[1], 512)) / np.sqrt(z.shape[1])
out = rng.normal(size=(512, 300)) / np.sqrt(512)
x = np.maximum(z @ hidden, 0) @ out
x += 0.5 * x.std() * rng.normal(size=x.shape)
rates = rng.normal(size=(z.shape[1], 400)) / np.sqrt(z.shape[1]) * 0.8
y = np.log1p(rng.poisson(np.exp(z @ rates - 1.0))).astype(np.float64)
y -= y.mean(0)
u, s, _ = np.linalg.svd(y, full_matrices=False)
y = u[:, :128] * s[:128]
np.save(os.path.join(args.out, "synx.npy"), x.astype(np.float32))
np.save(os.path.join(args.out, "syny.npy"), y.astype(np.float32))
