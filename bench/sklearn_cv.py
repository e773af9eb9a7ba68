"""Peer for bench/peers.ts: scikit-learn's whole run of what `churn train` does on a flat CSV — read the file, code
text columns as integers (blanks as NaN, then 0: this scikit-learn has no missing-value support in its forest),
stratified K-fold cross-validation of a RandomForestClassifier (same trees, depth, leaf size and √features per
split as the churn forest, n_jobs=2), ROC-AUC per fold. Run it as a whole process: the time that counts is the
process's, from a cold Python start.
Usage: sklearn_cv.py FILE TARGET POSITIVE ID FOLDS TREES DEPTH MIN_LEAF
Prints one JSON line: {"auc": mean fold ROC-AUC, "rows": n, "features": p}."""
import csv
import json
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

path, target, positive, id_column = sys.argv[1:5]
folds, trees, depth, min_leaf = (int(v) for v in sys.argv[5:9])
with open(path, newline="", encoding="utf-8-sig") as f:
    rows = list(csv.DictReader(f))
names = [c for c in rows[0] if c not in (target, id_column)]
columns = []
for name in names:
    raw = [r[name].strip() for r in rows]
    try:
        columns.append([float(v) if v else np.nan for v in raw])
    except ValueError:
        codes = {v: k for k, v in enumerate(sorted({v for v in raw if v}))}
        columns.append([codes[v] if v else np.nan for v in raw])
x = np.nan_to_num(np.array(columns, dtype=float).T, nan=0.0)
y = np.array([1 if r[target].strip() == positive else 0 for r in rows])
aucs = []
for train, test in StratifiedKFold(folds, shuffle=True, random_state=1).split(x, y):
    model = RandomForestClassifier(
        n_estimators=trees, max_depth=depth, min_samples_leaf=min_leaf, max_features="sqrt", n_jobs=2, random_state=1
    ).fit(x[train], y[train])
    aucs.append(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
print(json.dumps({"auc": float(np.mean(aucs)), "rows": len(rows), "features": len(names)}))
