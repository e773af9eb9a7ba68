/**
 * Classification metrics for probabilities and 0/1 labels.
 * ROC-AUC = Mann-Whitney U / (n₊ n₋) with ties counted half (Hanley & McNeil 1982); average precision as
 * scikit-learn defines it, Σ (R_k − R_{k−1}) P_k over distinct thresholds; Brier score = mean (p − y)²
 * (Brier 1950); reliability bins of equal width (DeGroot & Fienberg 1983); lift and gains by decile.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0,
    nPos = 0;
  for (let k = 0; k < idx.length; ) {
    let j = k;
    while (j < idx.length && scores[idx[j]!] === scores[idx[k]!]) j++;
    const midRank = (k + 1 + j) / 2;
    for (let q = k; q < j; q++)
      if (labels[idx[q]!] === 1) {
        rankSumPos += midRank;
        nPos++;
      }
    k = j;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let total = 0;
  for (let i = 0; i < labels.length; i++) total += labels[i]!;
  if (total === 0) return NaN;
  let tp = 0,
    fp = 0,
    ap = 0,
    prevRecall = 0;
  for (let k = 0; k < idx.length; ) {
    let j = k;
    while (j < idx.length && scores[idx[j]!] === scores[idx[k]!]) {
      if (labels[idx[j]!] === 1) tp++;
      else fp++;
      j++;
    }
    const recall = tp / total;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
    k = j;
  }
  return ap;
}

export function brierScore(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < scores.length; i++) s += (scores[i]! - labels[i]!) ** 2;
  return s / scores.length;
}

export interface CurvePoint {
  threshold: number;
  tpr: number;
  fpr: number;
  precision: number;
  recall: number;
}

/** ROC and precision-recall points at up to `points` thresholds (quantiles of the scores). */
export function curves(scores: ArrayLike<number>, labels: ArrayLike<number>, points = 100): CurvePoint[] {
  const sorted = Float64Array.from(scores).sort();
  const thresholds = [
    ...new Set(
      Array.from(
        { length: points + 1 },
        (_, k) => sorted[Math.min(sorted.length - 1, Math.floor((k / points) * (sorted.length - 1)))]!,
      ),
    ),
  ];
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i]!;
  const neg = labels.length - pos;
  return thresholds.map((t) => {
    let tp = 0,
      fp = 0;
    for (let i = 0; i < scores.length; i++) if (scores[i]! >= t) labels[i] === 1 ? tp++ : fp++;
    return {
      threshold: t,
      tpr: pos ? tp / pos : 0,
      fpr: neg ? fp / neg : 0,
      precision: tp + fp ? tp / (tp + fp) : 1,
      recall: pos ? tp / pos : 0,
    };
  });
}

export function confusionAt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): { precision: number; recall: number; f1: number; flagged: number } {
  let tp = 0,
    fp = 0,
    fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flag = scores[i]! >= threshold;
    if (flag && labels[i] === 1) tp++;
    else if (flag) fp++;
    else if (labels[i] === 1) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    flagged: tp + fp,
  };
}

/** The threshold (among the scores) with the highest F1. */
export function bestF1Threshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const candidates = curves(scores, labels, 200).map((c) => c.threshold);
  let best = 0.5,
    bestF1 = -1;
  for (const t of candidates) {
    const { f1 } = confusionAt(scores, labels, t);
    if (f1 > bestF1) [best, bestF1] = [t, f1];
  }
  return best;
}

export function reliability(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 10,
): { bin: number; meanPredicted: number; observed: number; count: number }[] {
  const out = Array.from({ length: bins }, (_, b) => ({ bin: b, sumP: 0, sumY: 0, count: 0 }));
  for (let i = 0; i < scores.length; i++) {
    const b = Math.min(bins - 1, Math.floor(scores[i]! * bins));
    out[b]!.sumP += scores[i]!;
    out[b]!.sumY += labels[i]!;
    out[b]!.count++;
  }
  return out
    .filter((b) => b.count > 0)
    .map((b) => ({ bin: b.bin, meanPredicted: b.sumP / b.count, observed: b.sumY / b.count, count: b.count }));
}

/** Deciles by descending score: churn rate, lift over the base rate and cumulative share of churners captured. */
export function liftByDecile(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
): { decile: number; rate: number; lift: number; cumulativeGain: number }[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let total = 0;
  for (let i = 0; i < labels.length; i++) total += labels[i]!;
  const base = total / labels.length;
  const out = [];
  let captured = 0;
  for (let d = 0; d < 10; d++) {
    const from = Math.floor((d * idx.length) / 10),
      to = Math.floor(((d + 1) * idx.length) / 10);
    let pos = 0;
    for (let k = from; k < to; k++) pos += labels[idx[k]!]!;
    captured += pos;
    const rate = to > from ? pos / (to - from) : 0;
    out.push({ decile: d + 1, rate, lift: base ? rate / base : 0, cumulativeGain: total ? captured / total : 0 });
  }
  return out;
}

/**
 * The threshold that maximises the expected value saved by contacting every customer scored at or above it:
 *   saved(t) = Σ_{score ≥ t} (y_i · saveRate · value_i − costPerContact),
 * i.e. a contacted churner is kept with probability saveRate and is worth value_i; every contact costs the same.
 */
export function bestValueThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  values: ArrayLike<number>,
  saveRate: number,
  costPerContact: number,
): { threshold: number; savedValue: number; contacted: number } {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let best = { threshold: 1, savedValue: 0, contacted: 0 };
  let running = 0;
  for (let k = 0; k < idx.length; ) {
    let j = k;
    while (j < idx.length && scores[idx[j]!] === scores[idx[k]!]) {
      const i = idx[j]!;
      running += labels[i]! * saveRate * values[i]! - costPerContact;
      j++;
    }
    if (running > best.savedValue) best = { threshold: scores[idx[k]!]!, savedValue: running, contacted: j };
    k = j;
  }
  return best;
}
