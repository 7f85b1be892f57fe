#!/usr/bin/env python3
"""Self-learning alignment prototype (reference for the Swift port in Sources/SUE).

Protocol (paper D.7 + issue 5): per seed, 400 test pairs; N known training pairs; the rest are
"unpaired": 10 % dropped per modality independently, each side shuffled. Only training rows (paired +
unpaired) are used for fitting and centring. Recall@1/5/10 by cosine among the 400 test pairs.

    python selflearn_prototype.py --pairs 0,5,10,20,50,100 --seeds 5 --methods ridge,selflearn

Run with /root/.cache/sue-anchors/bin/python (numpy, scipy).
"""
import argparse
import os
import sys
import time

import numpy as np

DATA = os.environ.get("TEXTPAIRS", "/work/shared/data/textpairs")


# ----------------------------------------------------------------------------------------------------------------
# data and protocol
# ----------------------------------------------------------------------------------------------------------------

def load():
    X = np.load(os.path.join(DATA, "minilm.npy")).astype(np.float32)
    Y = np.load(os.path.join(DATA, "e5small.npy")).astype(np.float32)
    return X, Y


def split(n, seed, pairs, test=400, drop=0.1):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    te, pa, rest = perm[:test], perm[test:test + pairs], perm[test + pairs:]
    keep = len(rest) - int(round(drop * len(rest)))
    ux = rng.permutation(rest)[:keep]
    uy = rng.permutation(rest)[:keep]
    return te, pa, ux, uy


def normalise(A):
    return A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)


def prepare(X, Y, te, pa, ux, uy):
    """Centre each side with the mean of its training rows, then L2-normalise rows."""
    mx = np.concatenate([X[pa], X[ux]]).mean(0)
    my = np.concatenate([Y[pa], Y[uy]]).mean(0)
    f = lambda A, m: normalise(A - m)
    return dict(xp=f(X[pa], mx), yp=f(Y[pa], my), xu=f(X[ux], mx), yu=f(Y[uy], my),
                xt=f(X[te], mx), yt=f(Y[te], my), truth=(ux, uy))


def recall(P, Q, ks=(1, 5, 10)):
    P, Q = normalise(P), normalise(Q)
    S = P @ Q.T
    out = {}
    for name, M in (("xy", S), ("yx", S.T)):
        true = np.diag(M)[:, None]
        rank = (M > true).sum(1)
        out[name] = [100.0 * float((rank < k).mean()) for k in ks]
    return out


# ----------------------------------------------------------------------------------------------------------------
# maps fitted on pairs
# ----------------------------------------------------------------------------------------------------------------

def ridge_loo(A, B, lambdas=None):
    """Ridge A->B with lambda chosen by closed-form leave-one-out (via the SVD of A; works for n < d)."""
    n, d = A.shape
    if n == 0:
        return np.zeros((d, B.shape[1]), np.float32), 0.0
    U, s, Vt = np.linalg.svd(A.astype(np.float64), full_matrices=False)
    UtB = U.T @ B
    scale = (s ** 2).mean() if len(s) else 1.0
    if lambdas is None:
        lambdas = scale * np.logspace(-4, 2, 25)
    best = None
    for lam in lambdas:
        f = s ** 2 / (s ** 2 + lam)
        H = (U * f) @ U.T                  # hat matrix
        R = B - U @ (f[:, None] * UtB)
        h = np.clip(np.diag(H), 0, 1 - 1e-9)
        loo = ((R / (1 - h)[:, None]) ** 2).sum()
        if best is None or loo < best[0]:
            best = (loo, lam)
    lam = best[1]
    W = Vt.T @ ((s / (s ** 2 + lam))[:, None] * UtB)
    return W.astype(np.float32), lam


def procrustes(A, B, w=None):
    """Orthogonal W minimising ||A W - B||: W = U V^T from SVD(A^T B)."""
    M = (A * w[:, None]).T @ B if w is not None else A.T @ B
    U, _, Vt = np.linalg.svd(M)
    return (U @ Vt).astype(np.float32)


def inv_sqrt(C, eps):
    w, V = np.linalg.eigh(C)
    return (V / np.sqrt(np.maximum(w, 0) + eps)) @ V.T


def cca_maps(A, B, reg=None, dims=None, reweight=0.5, w=None):
    """Regularised CCA (VecMap-style: whiten, orthogonal map from SVD, re-weight by canonical corr^reweight).

    Returns (Wa, Wb, corr). Regularisation rule: reg * mean eigenvalue added to each covariance,
    reg = d / (n + d) by default (shrinks to 0 as the number of pairs n grows past the dimension d)."""
    n, d = A.shape
    if w is None:
        w = np.ones(n)
    sw = w.sum()
    Caa = (A * w[:, None]).T @ A / sw
    Cbb = (B * w[:, None]).T @ B / sw
    Cab = (A * w[:, None]).T @ B / sw
    if reg is None:
        reg = d / (sw + d)
    Ka = inv_sqrt(Caa, reg * np.trace(Caa) / d)
    Kb = inv_sqrt(Cbb, reg * np.trace(Cbb) / B.shape[1])
    U, s, Vt = np.linalg.svd(Ka @ Cab @ Kb)
    k = min(len(s), dims or len(s))
    Wa = Ka @ U[:, :k] * (s[:k] ** reweight)
    Wb = Kb @ Vt[:k].T * (s[:k] ** reweight)
    return Wa.astype(np.float32), Wb.astype(np.float32), s[:k]


# ----------------------------------------------------------------------------------------------------------------
# dictionary induction
# ----------------------------------------------------------------------------------------------------------------

def topk_mean(S, k, axis):
    # mean of the k largest entries along axis
    part = np.partition(S, -k, axis=axis)
    return (part[:, -k:] if axis == 1 else part[-k:, :]).mean(axis=axis)


def csls_mnn(P, Q, k=10, keep_prob=1.0, rng=None, nbr=None):
    """Mutual nearest neighbours of P (rows) and Q (rows) under CSLS.

    Returns (i, j, score, margin). keep_prob<1: stochastic dictionary induction (VecMap), each similarity
    entry is kept with that probability (others set to -inf) before the argmax."""
    S = P @ Q.T
    if nbr is not None:
        S = nbr(S)
    rp = topk_mean(S, k, 1)
    rq = topk_mean(S, k, 0)
    C = 2 * S - rp[:, None] - rq[None, :]
    if keep_prob < 1.0:
        mask = rng.random(C.shape, dtype=np.float32) >= keep_prob
        C[mask] = -np.inf
    jbest = C.argmax(1)
    ibest = C.argmax(0)
    i = np.arange(C.shape[0])
    mutual = ibest[jbest] == i
    i = i[mutual]
    j = jbest[mutual]
    sc = C[i, j]
    # margin: best minus second best in the row (confidence)
    C[i, j] = -np.inf
    second = np.maximum(C[i].max(1), C[:, j].max(0))
    return i, j, sc, sc - second


# ----------------------------------------------------------------------------------------------------------------
# zero-pair initialisation (VecMap, Artetxe et al. 2018)
# ----------------------------------------------------------------------------------------------------------------

def similarity_signature(A, m):
    """Rotation-invariant signature of each of the first m rows: sorted row of sqrt(A A^T) over those rows."""
    A = A[:m]
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    M = (U * s) @ U.T
    M = -np.sort(-M, axis=1)
    M = normalise(M)
    M = M - M.mean(0)
    return normalise(M).astype(np.float32)


# ----------------------------------------------------------------------------------------------------------------
# self-learning
# ----------------------------------------------------------------------------------------------------------------

def self_learning(d, iters=10, map_kind="cca", k=10, vocab=None, stochastic=False, seed=0, verbose=False,
                  init=None, log=None):
    xp, yp, xu, yu = d["xp"], d["yp"], d["xu"], d["yu"]
    rng = np.random.default_rng(seed)
    n_pairs = len(xp)
    xu_v = xu if vocab is None else xu[:vocab]
    yu_v = yu if vocab is None else yu[:vocab]
    pi, pj, pw = np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    if init is not None:
        pi, pj = init
        pw = np.ones(len(pi))
    keep = 0.1 if stochastic else 1.0
    best_obj = -np.inf
    history = []
    for it in range(iters):
        A = np.concatenate([xp, xu_v[pi]])
        B = np.concatenate([yp, yu_v[pj]])
        w = np.concatenate([np.ones(n_pairs), pw])
        if map_kind == "ridge" and it == 0 and init is None:
            W, _ = ridge_loo(xp, yp)
            fx, fy = (lambda Z: Z @ W), (lambda Z: Z)
        elif map_kind == "procrustes":
            W = procrustes(A, B, w)
            fx, fy = (lambda Z: Z @ W), (lambda Z: Z)
        elif map_kind == "ridge":
            W, _ = ridge_loo(A, B)
            fx, fy = (lambda Z: Z @ W), (lambda Z: Z)
        else:
            Wa, Wb, _ = cca_maps(A, B, w=w)
            fx, fy = (lambda Z: Z @ Wa), (lambda Z: Z @ Wb)
        P, Q = normalise(fx(xu_v)), normalise(fy(yu_v))
        i, j, sc, mg = csls_mnn(P, Q, k=k, keep_prob=keep, rng=rng)
        obj = sc.mean() if len(sc) else -np.inf
        acc = float(np.mean(d["truth"][0][:len(xu_v)][i] == d["truth"][1][:len(yu_v)][j])) if len(i) else 0
        history.append((it, len(i), float(obj), acc))
        if log is not None:
            log(it, len(i), obj, acc, fx, fy)
        pi, pj, pw = i, j, np.ones(len(i))
        if stochastic:
            if obj > best_obj + 1e-6:
                best_obj = obj
            else:
                keep = min(1.0, 2 * keep)
    # final map from the last dictionary
    A = np.concatenate([xp, xu_v[pi]])
    B = np.concatenate([yp, yu_v[pj]])
    if map_kind == "procrustes":
        W = procrustes(A, B)
        return (lambda Z: Z @ W), (lambda Z: Z), history
    if map_kind == "ridge":
        W, _ = ridge_loo(A, B)
        return (lambda Z: Z @ W), (lambda Z: Z), history
    Wa, Wb, _ = cca_maps(A, B)
    return (lambda Z: Z @ Wa), (lambda Z: Z @ Wb), history


def fit(method, d, seed):
    if method == "ridge":
        W, _ = ridge_loo(d["xp"], d["yp"])
        return (lambda Z: Z @ W), (lambda Z: Z), None
    if method.startswith("sl-"):
        kind = method[3:]
        return self_learning(d, map_kind=kind, seed=seed)
    raise ValueError(method)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", default="0,5,10,20,50,100")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--methods", default="ridge,sl-cca")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    X, Y = load()
    n = len(X)
    for N in [int(p) for p in args.pairs.split(",")]:
        for m in args.methods.split(","):
            rs, ts = [], []
            for s in range(args.seeds):
                te, pa, ux, uy = split(n, s, N)
                d = prepare(X, Y, te, pa, ux, uy)
                t0 = time.time()
                fx, fy, hist = fit(m, d, s)
                ts.append(time.time() - t0)
                r = recall(fx(d["xt"]), fy(d["yt"]))
                rs.append(r)
                if args.verbose:
                    print(f"  seed {s} {m} N={N}: xy {r['xy']} yx {r['yx']} hist {hist}", file=sys.stderr)
            xy = np.mean([r["xy"] for r in rs], 0)
            yx = np.mean([r["yx"] for r in rs], 0)
            sd = np.std([r["xy"][2] for r in rs])
            print(f"| {N} | {m} | {xy[0]:.1f} | {xy[1]:.1f} | {xy[2]:.1f} ({sd:.1f}) | {yx[0]:.1f} | {yx[1]:.1f} | "
                  f"{yx[2]:.1f} | {np.mean(ts):.1f} |", flush=True)


if __name__ == "__main__":
    main()
