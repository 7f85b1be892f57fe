#!/usr/bin/env python3
"""Writes row-aligned view pairs of kinds `auto` was not developed on, to check that it stays at or above ridge in
both directions and to see where a non-linear map pays (numpy only). Files OUT/<name>x.npy, OUT/<name>y.npy:

- lowdim   (3 000 rows; no data needed): a 6-d latent z uniform in [-1, 1]; X = [sin(2zF) | cos(zF)] + noise (12 columns),
           Y = t + 0.3t^2 - 0.1t^3 + noise with t = zG (10 columns): a curved relation no linear map retrieves well.
- clusters (4 000 rows; no data needed): a 30-cluster Gaussian mixture in 20-d; X = tanh(zA) + noise (128 columns),
           Y = softplus(zB) + noise (64 columns).
- sensors  (6 000 rows; no data needed): two sensors of one slowly varying 8-d state (sums of sinusoids of random
           periods, one row per time step): X saturates (tanh, 48 channels), Y is exponential and quantised to steps
           of 0.25 (96 channels); both noisy. Neighbouring rows are neighbouring times.
- tabular  (4 000 rows; no data needed): a 12-cluster 10-d latent; X is six categorical variables one-hot encoded
           (argmax of five random projections each, 30 columns) beside 8 noisy linear columns, Y is 40 columns of
           squares and products of the latent: categorical against continuous.
- powers   (5 000 rows; no data needed): a 24-d Gaussian latent; X = tanh(3zA) + noise (48 columns), Y = the signed
           0.3th power of zB + noise (32 columns): two different monotone non-linearities.
- rotations (5 000 rows; no data needed): 30 clusters; X = the cluster's centre + a linear view of an 8-d position
           within it (16 columns), Y = a linear view of the centre beside the position turned by a rotation of its
           cluster's own (32 columns): linear within each cluster, not across them.
- encoders (5 000 rows; no data needed): two random deep networks (layer-normed GELU layers, 512 columns; tanh
           layers, 384 columns) of one 40-cluster 24-d latent, each also fed a 16-d latent of its own (what one
           modality sees and the other does not), plus noise: two encoders of different modalities.
- private  (5 000 rows; no data needed): the same with 100 clusters in 16-d, a 32-d private latent per side (as
           strong as the shared one), ReLU (768 columns) against GELU (256 columns).
(These six draw from their own generators, so adding them left every other view's bytes as they were.)
From ../shared/data/textpairs (MiniLM, e5 and LSA views of the same texts, row i <-> row i):
- sparse   (5 000): MiniLM against log1p Poisson word counts over 2 000 columns (about 9 % non-zero) with IDF weights,
           rates log-linear in e5.
- heavy    (5 000): e5 with heavy-tailed (Student t, 2 degrees of freedom) noise against LSA.
- wide     (5 000): a 1 536-column ReLU expansion of MiniLM with noise against 32 principal components of LSA.
- small    (1 200): MiniLM against LSA.
- dups     (5 000): MiniLM against e5 where 30 % of the rows are copies of other rows (both sides).
- scales   (5 000): MiniLM times 10^4 against LSA with each column scaled by 10^U(-3, 3).
- relu     (5 000): MiniLM against a 1 536-column ReLU expansion of e5 with noise: a wide side (an image encoder's
           width) whose relation to the other is far from linear but which self-learning can lock in on.

    python3 Benchmarks/tools/make_stress_views.py OUT_DIR [--data ../shared/data/textpairs]
"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/textpairs"))
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)
rng = np.random.default_rng(2026)


def save(name, x, y):
    # Row-major, as `sue` reads .npy files (a product of fancy-indexed columns comes out column-major).
    np.save(os.path.join(args.out, name + "x.npy"), np.ascontiguousarray(x, dtype=np.float32))
    np.save(os.path.join(args.out, name + "y.npy"), np.ascontiguousarray(y, dtype=np.float32))
    print(name, x.shape, y.shape)


n = 4000
c = rng.integers(0, 30, n)
z = rng.normal(size=(30, 20))[c] + 0.5 * rng.normal(size=(n, 20))
a, b = rng.normal(size=(20, 128)) / np.sqrt(20), rng.normal(size=(20, 64)) / np.sqrt(20)
save("clusters", np.tanh(z @ a) + 0.3 * rng.normal(size=(n, 128)), np.log1p(np.exp(z @ b)) + 0.3 * rng.normal(size=(n, 64)))

n = 3000
z = rng.uniform(-1, 1, size=(n, 6))
f = rng.normal(size=(6, 6))
x = np.hstack([np.sin(2 * z @ f), np.cos(z @ f)]) + 0.1 * rng.normal(size=(n, 12))
t = z @ rng.normal(size=(6, 10))
save("lowdim", x, t + 0.3 * t**2 - 0.1 * t**3 + 0.2 * rng.normal(size=(n, 10)))

own = np.random.default_rng(2027)
n = 6000
steps = np.arange(n)[:, None]
state = np.zeros((n, 8))
for k in range(8):
    periods = own.uniform(50, 1000, 3)
    state[:, k] = np.sin(2 * np.pi * steps[:, 0] / periods[:, None] + own.uniform(0, 2 * np.pi, (3, 1))).sum(0)
state /= state.std(0)
save("sensors", np.tanh(state @ own.normal(size=(8, 48)) / np.sqrt(8)) + 0.1 * own.normal(size=(n, 48)),
     np.round(4 * np.exp(0.5 * state @ own.normal(size=(8, 96)) / np.sqrt(8))) / 4 + 0.2 * own.normal(size=(n, 96)))

n = 4000
c = own.integers(0, 12, n)
z = own.normal(size=(12, 10))[c] + 0.6 * own.normal(size=(n, 10))
onehot = [np.eye(5)[np.argmax(z @ own.normal(size=(10, 5)), axis=1)] for _ in range(6)]
linear = z @ own.normal(size=(10, 8)) / np.sqrt(10) + 0.5 * own.normal(size=(n, 8))
pairs = own.integers(0, 10, size=(40, 2))
save("tabular", np.hstack(onehot + [linear]), z[:, pairs[:, 0]] * z[:, pairs[:, 1]] + 0.3 * own.normal(size=(n, 40)))

own = np.random.default_rng(78)
n = 5000
z = own.normal(size=(n, 24))
a, b = own.normal(size=(24, 48)) / np.sqrt(24), own.normal(size=(24, 32)) / np.sqrt(24)
x = np.tanh(3 * z @ a) + 0.4 * own.normal(size=(n, 48))
t = z @ b
save("powers", x, np.sign(t) * np.abs(t) ** 0.3 + 0.4 * own.normal(size=(n, 32)))

own = np.random.default_rng(79)
c = own.integers(0, 30, size=n)
centres = own.normal(size=(30, 16)) * 2
position = own.normal(size=(n, 8))
turns = [np.linalg.qr(own.normal(size=(8, 8)))[0] for _ in range(30)]
x = centres[c] + position @ (own.normal(size=(8, 16)) / np.sqrt(8)) + 0.2 * own.normal(size=(n, 16))
turned = np.einsum("ij,ijk->ik", position, np.stack(turns)[c])
save("rotations", x, np.hstack([centres[c] @ (own.normal(size=(16, 24)) / 4), turned]) + 0.2 * own.normal(size=(n, 32)))


def encoder(h, widths, activation, gen):
    """A random deep network: each layer a random linear map and bias, the activation, then a layer norm."""
    for w in widths:
        h = activation(h @ (gen.normal(size=(h.shape[1], w)) / np.sqrt(h.shape[1])) + 0.1 * gen.normal(size=w))
        h = (h - h.mean(1, keepdims=True)) / (h.std(1, keepdims=True) + 1e-6)
    return h


def gelu(t):
    return 0.5 * t * (1 + np.tanh(0.79788456 * (t + 0.044715 * t**3)))


own = np.random.default_rng(7)
c = own.integers(0, 40, n)
z = own.normal(size=(40, 24))[c] * 0.8 + 0.6 * own.normal(size=(n, 24))
private_x, private_y = own.normal(size=(n, 16)), own.normal(size=(n, 16))
x = encoder(np.hstack([z, 0.8 * private_x]), [256, 256, 512], gelu, own) + 0.2 * own.normal(size=(n, 512))
save("encoders", x, encoder(np.hstack([z, 0.8 * private_y]), [192, 384], np.tanh, own) + 0.2 * own.normal(size=(n, 384)))

own = np.random.default_rng(8)
c = own.integers(0, 100, n)
z = own.normal(size=(100, 16))[c] + 0.5 * own.normal(size=(n, 16))
private_x, private_y = own.normal(size=(n, 32)), own.normal(size=(n, 32))
x = encoder(np.hstack([z, private_x]), [512, 768], lambda t: np.maximum(t, 0), own) + 0.3 * own.normal(size=(n, 768))
save("private", x, encoder(np.hstack([z, private_y]), [256, 256], gelu, own) + 0.3 * own.normal(size=(n, 256)))

if not os.path.exists(os.path.join(args.data, "minilm.npy")):
    raise SystemExit(f"no text views in {args.data}: wrote the synthetic pairs only")
m = np.load(os.path.join(args.data, "minilm.npy")).astype(np.float64)
l = np.load(os.path.join(args.data, "lsa256.npy")).astype(np.float64)
e = np.load(os.path.join(args.data, "e5small.npy")).astype(np.float64)

rows = rng.choice(len(m), 5000, replace=False)
z = e[rows]
z = (z - z.mean(0)) / z.std(0)
counts = rng.poisson(np.exp(z @ (rng.normal(size=(384, 2000)) / np.sqrt(384) * 1.2) - 3.0))
idf = np.log(len(counts) / (1 + (counts > 0).sum(0)))
save("sparse", m[rows], np.log1p(counts) * idf)

rows = rng.choice(len(m), 5000, replace=False)
save("heavy", e[rows] + 0.02 * rng.standard_t(2, size=(5000, 384)), l[rows])

rows = rng.choice(len(m), 5000, replace=False)
z = m[rows]
z = (z - z.mean(0)) / z.std(0)
x = np.maximum(z @ (rng.normal(size=(384, 1536)) / np.sqrt(384)), 0) + 0.3 * rng.normal(size=(5000, 1536))
centred = l[rows] - l[rows].mean(0)
u, s, _ = np.linalg.svd(centred, full_matrices=False)
save("wide", x, u[:, :32] * s[:32])

rows = rng.choice(len(m), 1200, replace=False)
save("small", m[rows], l[rows])

rows = rng.choice(len(m), 5000, replace=False)
source = rows.copy()
source[rng.choice(5000, 1500, replace=False)] = rows[rng.choice(5000, 1500)]
save("dups", m[source], e[source])

rows = rng.choice(len(m), 5000, replace=False)
save("scales", m[rows] * 1e4, l[rows] * 10 ** rng.uniform(-3, 3, 256))

# Its own generators, so that the views above stay as they were.
r = np.random.default_rng(7)
z = (e - e.mean(0)) / e.std(0)
expanded = np.maximum(z @ (r.normal(size=(384, 1536)) / np.sqrt(384)), 0) + 0.1 * r.normal(size=(len(e), 1536))
rows = np.sort(np.random.default_rng(3).choice(len(m), 5000, replace=False))
save("relu", m[rows], expanded[rows])
