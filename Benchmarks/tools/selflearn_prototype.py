#!/usr/bin/env python3
"""Self-learning alignment prototype (reference for the Swift port in Sources/SUE).

Protocol (paper D.7): per seed, 400 test pairs; N known training pairs; the rest are
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

def self_learning(d, max_iters=15, k=10, tol=0.005, verbose=False):
    """The method ported to Swift (SelfLearning.swift): CCA on known + pseudo pairs (shrinkage d/(n+d),
    components weighted by sqrt(corr)), CSLS mutual NN among the unpaired rows, stop when the mean CSLS
    of the matches improves by less than `tol` (relative) or the matches repeat; keep the best round."""
    xp, yp, xu, yu = d["xp"], d["yp"], d["xu"], d["yu"]
    tx, ty = d["truth"]

    def maps(pi, pj):
        Wa, Wb, _ = cca_maps(np.concatenate([xp, xu[pi]]), np.concatenate([yp, yu[pj]]))
        return Wa, Wb

    Wa, Wb = maps(np.zeros(0, int), np.zeros(0, int))
    best, prev, history = None, None, []
    for it in range(max_iters):
        i, j, sc, mg = csls_mnn(normalise(xu @ Wa), normalise(yu @ Wb), k=k)
        obj = float(sc.mean()) if len(sc) else 0.0
        acc = float(np.mean(tx[i] == ty[j])) if len(i) else 0.0   # diagnostic only (uses the hidden truth)
        history.append((it, len(i), round(obj, 4), round(acc, 3)))
        if best is not None and obj <= best[0] + tol * abs(best[0]):
            if obj > best[0]:
                best = (obj, i, j)
            break
        best = (obj, i, j)
        keys = set(zip(i.tolist(), j.tolist()))
        if keys == prev:
            break
        prev = keys
        Wa, Wb = maps(i, j)
    _, bi, bj = best
    Wa, Wb = maps(bi, bj)
    return (lambda Z: Z @ Wa), (lambda Z: Z @ Wb), dict(history=history, pseudo=(bi, bj))


def partner_mrr(P, pool, partners):
    P, pool = normalise(P), normalise(pool)
    S = P @ pool.T
    true = S[np.arange(len(P)), partners][:, None]
    rank = (S > true).sum(1)
    return float((1.0 / (rank + 1)).sum())


def auto(d, seed):
    """AutoSelection.swift: K-fold CV (K = min(5, pairs)) on the known pairs, MRR of the true partner among all
    training Y rows; ridge refitted per fold, self-learning refitted per fold on (fold's training pairs +
    the pseudo-pairs found with all pairs). Picks the higher MRR (ties: self-learning)."""
    n = len(d["xp"])
    fx, fy, info = self_learning(d)
    if n < 2:
        return fx, fy, dict(info, choice="self-learning")
    folds = min(5, n)
    order = np.random.default_rng(seed ^ 0x5EEDF01D).permutation(n)
    fold = np.empty(n, int)
    fold[order] = np.arange(n) % folds
    ally = np.concatenate([d["yp"], d["yu"]])
    pi, pj = info["pseudo"]
    sr = ss = 0.0
    for f in range(folds):
        tr, he = fold != f, fold == f
        partners = np.nonzero(he)[0]       # the paired Y rows come first in `ally`
        if tr.sum() >= 2:
            W, _ = ridge_loo(d["xp"][tr], d["yp"][tr])
            sr += partner_mrr(d["xp"][he] @ W, ally, partners)
        else:
            sr = -np.inf
        Wa, Wb, _ = cca_maps(np.concatenate([d["xp"][tr], d["xu"][pi]]), np.concatenate([d["yp"][tr], d["yu"][pj]]))
        ss += partner_mrr(d["xp"][he] @ Wa, ally @ Wb, partners)
    if ss >= sr:
        return fx, fy, dict(info, choice="self-learning", mrr=(sr / n, ss / n))
    W, _ = ridge_loo(d["xp"], d["yp"])
    return (lambda Z: Z @ W), (lambda Z: Z), dict(info, choice="ridge", mrr=(sr / n, ss / n))


def fit(method, d, seed):
    if method == "ridge":
        W, _ = ridge_loo(d["xp"], d["yp"])
        return (lambda Z: Z @ W), (lambda Z: Z), None
    if method == "cca":
        Wa, Wb, _ = cca_maps(d["xp"], d["yp"])
        return (lambda Z: Z @ Wa), (lambda Z: Z @ Wb), None
    if method == "self-learning":
        return self_learning(d)
    if method == "auto":
        return auto(d, seed)
    raise ValueError(method)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", default="0,5,10,20,50,100")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--methods", default="ridge,cca,self-learning,auto")
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
