#!/usr/bin/env python3
"""Builds the small real data set that ships inside the package for `sue demo`.

It takes a fixed, seeded random subset of rows of the textpairs data set (short English texts embedded by
two different sentence encoders, MiniLM-L6 and e5-small; see its README) and writes, into
Sources/SUE/Resources/demo/:

  minilm.npy      float16, C order, shape (rows, 384): modality X
  e5small.npy     float16, C order, shape (rows, 384): modality Y (row i of both = the same text)
  texts.txt       UTF-8, one text per line, same order
  categories.txt  UTF-8, the fortune file each text came from, same order
  source_rows.txt 0-based row numbers in the full textpairs files, same order (provenance)

float16 halves the size; the embeddings are unit-norm vectors whose entries (|v| < 1) keep about three
significant digits, far more than retrieval needs. The Swift loader widens them exactly to Float.

Usage (from the package root; needs only numpy):
    /root/.cache/sue-anchors/bin/python Benchmarks/tools/make_demo_data.py \
        [--source /work/shared/data/textpairs] [--rows 2500] [--seed 20251123]
Re-running with the same arguments reproduces the files byte for byte.
"""
import argparse
import os

import numpy as np


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    package = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="/work/shared/data/textpairs")
    parser.add_argument("--out", default=os.path.join(package, "Sources", "SUE", "Resources", "demo"))
    parser.add_argument("--rows", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=20251123)
    args = parser.parse_args()

    x = np.load(os.path.join(args.source, "minilm.npy"))
    y = np.load(os.path.join(args.source, "e5small.npy"))
    with open(os.path.join(args.source, "texts.txt"), encoding="utf-8") as f:
        texts = f.read().splitlines()
    with open(os.path.join(args.source, "categories.txt"), encoding="utf-8") as f:
        categories = f.read().splitlines()
    n = x.shape[0]
    assert y.shape[0] == n and len(texts) == n and len(categories) == n, "textpairs files disagree on row count"
    assert np.isfinite(x).all() and np.isfinite(y).all()

    # A seeded subset, kept in source order (the source rows are already a seeded shuffle).
    rng = np.random.default_rng(args.seed)
    rows = np.sort(rng.choice(n, size=args.rows, replace=False))

    def half(a):
        h = np.ascontiguousarray(a[rows].astype("<f2"))
        assert np.isfinite(h).all(), "float16 overflow"
        return h

    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "minilm.npy"), half(x))
    np.save(os.path.join(args.out, "e5small.npy"), half(y))
    for name, lines in [("texts.txt", [texts[i] for i in rows]),
                        ("categories.txt", [categories[i] for i in rows]),
                        ("source_rows.txt", [str(i) for i in rows])]:
        with open(os.path.join(args.out, name), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"wrote {args.rows} of {n} rows to {args.out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
