"""Synthetic data for benchmarks/bench_roc.sh (seeded, so every run uses the same).

  bench_roc_data.py csv OUT.csv N_POS N_NEG
      columns id,truth,score: binormal scores (positives shifted by 1 SD), 3 decimals
      (so that ties occur, as with real scores).
  bench_roc_data.py store OUT.h5 OUTCOMES.csv N_CASES N_FEATURES
      an rdx feature store (include/rdx/store.h layout) and its outcome table.
"""
import sys

import numpy as np


def scores_csv(path, n_pos, n_neg):
    rng = np.random.default_rng(20240601)
    truth = np.r_[np.ones(n_pos, dtype=int), np.zeros(n_neg, dtype=int)]
    score = np.round(rng.normal(size=n_pos + n_neg) + truth, 3)
    with open(path, "w") as f:
        f.write("id,truth,score\n")
        for i, (t, s) in enumerate(zip(truth, score)):
            f.write("s%04d,%d,%.3f\n" % (i, t, s))


def feature_store(path, outcomes, n_cases, n_features):
    import h5py

    rng = np.random.default_rng(20240602)
    y = np.zeros(n_cases, dtype=int)
    y[: n_cases // 2] = 1
    rng.shuffle(y)
    x = rng.normal(size=(n_cases, n_features))
    x[:, : n_features // 20] += 0.5 * y[:, None]  # 5 % informative features
    s = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        f["features"] = x
        f["feature_tags"] = np.array(["feature_%04d" % i for i in range(n_features)], dtype=s)
        f["case_ids"] = np.array(["case_%04d" % i for i in range(n_cases)], dtype=s)
        f["status"] = np.zeros(n_cases, dtype=np.int8)
        f["error"] = np.array([""] * n_cases, dtype=s)
        f.attrs["format_version"] = 1
    with open(outcomes, "w") as f:
        f.write("case_id,outcome\n")
        for i in range(n_cases):
            f.write("case_%04d,%d\n" % (i, y[i]))


if __name__ == "__main__":
    if sys.argv[1] == "csv":
        scores_csv(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        feature_store(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
