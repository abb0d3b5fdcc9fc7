"""A scikit-learn stratified bootstrap of the AUC (the usual Python loop):
resample positives and negatives with numpy, roc_auc_score per replicate,
percentile interval. Prints the AUC, the CI and the seconds of the loop.
Usage: bench_roc_sklearn.py DATA.csv BOOT_N
"""
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

data = np.genfromtxt(sys.argv[1], delimiter=",", names=True, dtype=None, encoding="utf-8")
y = data["truth"].astype(int)
s = data["score"].astype(float)
boot_n = int(sys.argv[2])
pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
rng = np.random.default_rng(1)
t0 = time.perf_counter()
aucs = np.empty(boot_n)
for b in range(boot_n):
    idx = np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])
    aucs[b] = roc_auc_score(y[idx], s[idx])
lo, hi = np.percentile(aucs, [2.5, 97.5])
t = time.perf_counter() - t0
print("sklearn auc %.10f ci %.6f %.6f seconds %.4f" % (roc_auc_score(y, s), lo, hi, t))
