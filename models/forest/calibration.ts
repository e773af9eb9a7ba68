/**
 * Calibration of the out-of-fold churn probabilities for each kind of customer (subscribers, one-off buyers): the two
 * kinds churn by different rules, so one pooled reliability curve can hide a model that is right on average and wrong
 * for both. Per kind: customer-snapshots, observed churn rate, mean predicted probability, Brier score (mean (p − y)²,
 * Brier 1950) and reliability in 10 equal-width bins (observed rate against mean prediction; DeGroot & Fienberg 1983).
 */
import { brierScore, reliability } from "../math/metrics.ts";

export interface KindCalibration {
  kind: string;
  rows: number;
  churned: number;
  observedRate: number;
  meanPredicted: number;
  brier: number;
  reliability: ReturnType<typeof reliability>;
}

/** One entry per kind present, in alphabetical order; rows with a missing kind are grouped under "(unknown)". */
export function calibrationByKind(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  kinds: ArrayLike<string | null>,
): KindCalibration[] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < scores.length; i++) {
    const k = kinds[i] ?? "(unknown)";
    const rows = groups.get(k) ?? [];
    rows.push(i);
    groups.set(k, rows);
  }
  return [...groups.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([kind, rows]) => {
      const p = Float64Array.from(rows, (i) => scores[i]!);
      const y = Uint8Array.from(rows, (i) => labels[i]!);
      const churned = y.reduce((a, b) => a + b, 0);
      return {
        kind,
        rows: rows.length,
        churned,
        observedRate: churned / rows.length,
        meanPredicted: p.reduce((a, b) => a + b, 0) / rows.length,
        brier: brierScore(p, y),
        reliability: reliability(p, y),
      };
    });
}
