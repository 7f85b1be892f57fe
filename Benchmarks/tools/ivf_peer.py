"""FAISS's inverted-file index on the same rows and queries as `sue search --index`, for a ratio in one run.

Usage (the anchors' Python, see ../shared/anchors/setup.sh):
  python ivf_peer.py --rows X_shared.npy --queries Q_shared.npy --cells 500 --probes 63 [--k 10] [--threads 2]
                     [--ours ours.jsonl]
X_shared.npy and Q_shared.npy are `sue embed` outputs (the index's rows and the queries in the shared space);
ours.jsonl is `sue search --index ... --json` on the same queries. Prints one JSON line per measurement: FAISS's
exact search (IndexFlatIP), FAISS's IndexIVFFlat (k-means on 64 rows per cell, like sue), and the recall of the
exact top k of both approximate searches.
"""
import argparse, json, time
import numpy as np
import faiss

p = argparse.ArgumentParser()
p.add_argument("--rows", required=True); p.add_argument("--queries", required=True)
p.add_argument("--cells", type=int, required=True); p.add_argument("--probes", type=int, required=True)
p.add_argument("--k", type=int, default=10); p.add_argument("--threads", type=int, default=2)
p.add_argument("--ours")
a = p.parse_args()
faiss.omp_set_num_threads(a.threads)

def unit(m):
    m = np.ascontiguousarray(m, dtype=np.float32)
    faiss.normalize_L2(m)
    return m

x = unit(np.load(a.rows)); q = unit(np.load(a.queries))
n, d = x.shape

t = time.perf_counter()
flat = faiss.IndexFlatIP(d); flat.add(x)
_, exact = flat.search(q, a.k)
print(json.dumps({"library": "faiss IndexFlatIP", "rows": n, "queries": len(q), "seconds_search": round(time.perf_counter() - t, 2)}), flush=True)
del flat

t = time.perf_counter()
ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, a.cells, faiss.METRIC_INNER_PRODUCT)
ivf.cp.max_points_per_centroid = 64          # train on 64 rows per cell, as sue does
ivf.train(x); ivf.add(x)
build = time.perf_counter() - t
ivf.nprobe = a.probes
t = time.perf_counter()
_, found = ivf.search(q, a.k)
search = time.perf_counter() - t

def recall(rows):
    return round(sum(len(set(r) & set(e)) for r, e in zip(rows, exact)) / (a.k * len(exact)), 4)

print(json.dumps({"library": "faiss IndexIVFFlat", "cells": a.cells, "probes": a.probes, "seconds_build": round(build, 2),
                  "seconds_search": round(search, 2), "recall_of_exact_top_k": recall(found.tolist())}), flush=True)
if a.ours:
    ours = [json.loads(line)["rows"] for line in open(a.ours)]
    print(json.dumps({"library": "sue search --index", "recall_of_exact_top_k": recall(ours)}), flush=True)
