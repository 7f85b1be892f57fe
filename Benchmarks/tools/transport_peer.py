"""The rounds of `sue-bench transport` with POT's log-domain Sinkhorn, on the same inputs, for a ratio in one run.

Usage (the anchors' Python with `pip install pot`):
  sue-bench transport --m 1700 --n 2048 --d 384 --out-dir DIR --json
  python transport_peer.py --dir DIR [--rounds 6] [--iterations 100] [--threads 2]

Each round is what `FusedGromovWasserstein.plan` does: the feature cost divided by its mean; the structure term
−(A·Aᵀ)·T·(B·Bᵀ)ᵀ formed by numpy (factorised as A·((Aᵀ·T)·B)·Bᵀ, as sue does) and divided by its mean absolute
value; their mix (1 − α)·M + α·G; then `ot.sinkhorn(method='sinkhorn_log')` with ε = 0.01 and exactly
`--iterations` iterations (stopThr 0), warm-started from the previous round's potentials. Prints the seconds
and the largest difference between POT's plan and sue's `plan.npy`, relative to the largest entry.
"""
import argparse, json, os, time
p = argparse.ArgumentParser()
p.add_argument("--dir", required=True); p.add_argument("--rounds", type=int, default=6)
p.add_argument("--iterations", type=int, default=100); p.add_argument("--threads", type=int, default=2)
p.add_argument("--alpha", type=float, default=0.3); p.add_argument("--epsilon", type=float, default=0.01)
p.add_argument("--float32-structure", action="store_true", help="form the structure term in float32, as sue does")
a = p.parse_args()
os.environ["OMP_NUM_THREADS"] = os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
import numpy as np
import ot

A = np.load(f"{a.dir}/source.npy").astype(np.float64); B = np.load(f"{a.dir}/target.npy").astype(np.float64)
M = np.load(f"{a.dir}/cost.npy"); ours = np.load(f"{a.dir}/plan.npy")
m, n = M.shape
wa, wb = np.full(m, 1 / m), np.full(n, 1 / n)
t0 = time.perf_counter()
feature = M / np.abs(M).mean()
T = np.full((m, n), 1 / (m * n)); warm = None
for _ in range(a.rounds):
    if a.float32_structure:
        A32, B32 = A.astype(np.float32), B.astype(np.float32)
        G = -(A32 @ ((A32.T @ T.astype(np.float32)) @ B32) @ B32.T).astype(np.float64)
    else:
        G = -(A @ ((A.T @ T) @ B) @ B.T)
    G /= np.abs(G).mean()
    cost = (1 - a.alpha) * feature + a.alpha * G
    T, log = ot.sinkhorn(wa, wb, cost, a.epsilon, method="sinkhorn_log", numItermax=a.iterations, stopThr=0,
                         warmstart=warm, log=True)
    warm = (log["log_u"], log["log_v"])
seconds = time.perf_counter() - t0
print(json.dumps({"library": f"POT {ot.__version__} sinkhorn_log + numpy", "m": m, "n": n, "rounds": a.rounds,
                  "iterations": a.iterations, "threads": a.threads, "seconds": round(seconds, 2),
                  "max_relative_difference_to_sue": float(np.abs(T - ours).max() / np.abs(ours).max())}), flush=True)
