"""Peer for bench/forest.ts: scikit-learn's RandomForestClassifier on the same CSV, same shape of forest.
Prints one JSON line: {"seconds": training time, "auc": ROC-AUC on the test rows}."""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

path, trees, depth, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = np.loadtxt(path, delimiter=",", skiprows=1)
x, y, is_test = data[:, :-2], data[:, -2], data[:, -1] == 1
started = time.perf_counter()
model = RandomForestClassifier(n_estimators=trees, max_depth=depth, n_jobs=jobs, random_state=1).fit(x[~is_test], y[~is_test])
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "auc": roc_auc_score(y[is_test], model.predict_proba(x[is_test])[:, 1])}))
