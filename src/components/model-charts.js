// Charts of the churn model page: (data, {width}) => Plot figure, from the model card (table model_card).
import * as Plot from "@observablehq/plot";
import { categoryAxis, numericMargin } from "./axis.js";

const diagonal = () =>
  Plot.line(
    [
      [0, 0],
      [1, 1],
    ],
    { strokeDasharray: "3,3", strokeOpacity: 0.4 },
  );

/** ROC curve of the out-of-fold predictions. */
export function rocChart(roc, { width } = {}) {
  return Plot.plot({
    title: "ROC curve",
    subtitle: "Out-of-fold predictions",
    width,
    height: 300,
    marginRight: 20,
    x: { label: "False positive rate", domain: [0, 1] },
    y: { label: "True positive rate", domain: [0, 1] },
    marks: [Plot.line(roc, { x: "fpr", y: "tpr", sort: "fpr" }), diagonal()],
  });
}

/** Precision-recall curve of the out-of-fold predictions. */
export function precisionRecallChart(pr, { width } = {}) {
  return Plot.plot({
    title: "Precision-recall curve",
    subtitle: "Out-of-fold predictions",
    width,
    height: 300,
    marginRight: 20,
    x: { label: "Recall", domain: [0, 1] },
    y: { label: "Precision", domain: [0, 1] },
    marks: [Plot.line(pr, { x: "recall", y: "precision", sort: "recall" })],
  });
}

/** Observed churn rate by bin of predicted probability (area = customers in the bin). */
export function calibrationChart(reliability, { width } = {}) {
  return Plot.plot({
    title: "Calibration",
    subtitle: "Observed churn rate by predicted probability (10 bins; dot area = customers)",
    width,
    height: 300,
    marginRight: 20,
    x: { label: "Predicted probability", domain: [0, 1] },
    y: { label: "Observed churn rate", domain: [0, 1] },
    marks: [
      diagonal(),
      Plot.line(reliability, { x: "meanPredicted", y: "observed" }),
      Plot.dot(reliability, { x: "meanPredicted", y: "observed", r: "count", tip: true }),
    ],
  });
}

/** Lift of each predicted-risk decile over the base rate. */
export function liftChart(lift, { width } = {}) {
  return Plot.plot({
    title: "Lift by decile",
    subtitle: "Churn rate of each tenth of customers by predicted risk ÷ the base rate",
    width,
    height: 300,
    marginLeft: numericMargin(
      lift.map((d) => d.lift),
      { zero: true },
    ),
    x: { label: "Decile (1 = highest risk)", type: "band" },
    y: { label: "Lift", grid: true },
    marks: [Plot.barY(lift, { x: "decile", y: "lift", tip: true }), Plot.ruleY([1], { strokeDasharray: "3,3" })],
  });
}

/** Permutation importance of the top 20 features. */
export function importanceChart(importances, { width } = {}) {
  const top = importances.slice(0, 20);
  const y = categoryAxis(
    top.map((d) => d.feature),
    width,
  );
  return Plot.plot({
    title: "What drives the predictions",
    subtitle: "Permutation importance: drop in held-out ROC-AUC when the feature is shuffled",
    width,
    height: 26 * top.length + 60,
    marginLeft: y.marginLeft,
    marginRight: 20,
    x: { label: "Drop in ROC-AUC", grid: true, ticks: Math.max(2, Math.floor((width ?? 640) / 80)) },
    y: { label: null, tickFormat: y.tickFormat },
    marks: [Plot.barX(top, { x: "importance", y: "feature", sort: { y: "-x" }, tip: true }), Plot.ruleX([0])],
  });
}

/** The page's name for a kind of customer in the model card ("buyer", "subscriber"). */
export const kindName = (kind) => (kind === "buyer" ? "One-off buyers" : kind === "subscriber" ? "Subscribers" : kind);

/**
 * One reliability curve per kind of customer (card.calibrationByKind: [{kind, reliability: [{meanPredicted, observed,
 * count}]}]): out-of-fold churn rate by bin of predicted probability, dot area = customer-snapshots in the bin.
 */
export function calibrationByKindChart(byKind, { width } = {}) {
  const kinds = byKind.map((k) => kindName(k.kind));
  const points = byKind.flatMap((k) => k.reliability.map((b) => ({ ...b, kind: kindName(k.kind) })));
  return Plot.plot({
    title: "Reliability by kind",
    subtitle: "Out-of-fold churn rate by predicted probability (10 bins; dot area = customer-snapshots)",
    width,
    height: 320,
    marginRight: 20,
    x: { label: "Predicted probability", domain: [0, 1] },
    y: { label: "Observed churn rate", domain: [0, 1] },
    r: { range: [2, 12] },
    color: { legend: true, domain: kinds },
    marks: [
      diagonal(),
      Plot.line(points, { x: "meanPredicted", y: "observed", stroke: "kind" }),
      Plot.dot(points, { x: "meanPredicted", y: "observed", r: "count", fill: "kind", fillOpacity: 0.6, tip: true }),
    ],
  });
}
