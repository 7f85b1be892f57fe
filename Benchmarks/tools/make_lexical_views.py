#!/usr/bin/env python3
"""Writes two more lexical views of the texts in ../shared/data/textpairs, unlike the word TF-IDF view
(`lsa256.npy`) that `auto`'s rules were made on, to check that it stays at or above ridge on representations
it was not developed on (needs numpy and scikit-learn, as the data's own make_lsa.py does):

- char192.npy: character 3-5-grams within word boundaries (sublinear TF-IDF, n-grams in at least 3 texts, at
  most 200 000 of them) reduced to 192 columns by truncated SVD: spelling rather than words.
- bow64.npy: binary word presence (words in at least 2 texts, no IDF weights) reduced to 64 columns: a coarse
  bag of words.

Row i is text i, as in the data's other views.

    python3 Benchmarks/tools/make_lexical_views.py OUT_DIR [--data ../shared/data/textpairs]
"""
import argparse
import os

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/data/textpairs"))
args = ap.parse_args()
os.makedirs(args.out, exist_ok=True)
texts = open(os.path.join(args.data, "texts.txt"), encoding="utf-8").read().splitlines()

grams = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=3,
                        max_features=200000).fit_transform(texts)
char = TruncatedSVD(192, random_state=1).fit_transform(grams).astype(np.float32)
np.save(os.path.join(args.out, "char192.npy"), char)
print("char192.npy", char.shape, "from", grams.shape[1], "n-grams")

words = CountVectorizer(binary=True, min_df=2).fit_transform(texts).astype(np.float32)
bow = TruncatedSVD(64, random_state=2).fit_transform(words).astype(np.float32)
np.save(os.path.join(args.out, "bow64.npy"), bow)
print("bow64.npy", bow.shape, "from", words.shape[1], "words")
