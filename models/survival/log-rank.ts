/**
 * Log-rank test of equal survival in k groups, and its weighted variants.
 * At each distinct event time with d deaths among n at risk (n_g, d_g in group g) and weight w:
 *   O_g − E_g = Σ w (d_g − d n_g / n),  V_gh = Σ w² d (n − d)/(n − 1) · (n_g / n)(δ_gh − n_h / n),
 *   χ² = (O − E)ᵀ V⁻¹ (O − E) over the first k − 1 groups, with k − 1 degrees of freedom.
 * Weights: log-rank w = 1; Wilcoxon (Gehan-Breslow) w = n; Tarone-Ware w = √n;
 * Peto(-Peto) w = Π_{t_j ≤ t} (1 − d_j/(n_j + 1)).
 * Sources: Klein & Moeschberger (2003) §7.3; Kleinbaum & Klein (2012) ch. 2;
 * lifelines.statistics.multivariate_logrank_test.
 */
import { chiSquareSurvival } from "../math/distributions.ts";
import { solveSpd } from "../math/linear-algebra.ts";

export type LogRankWeighting = "logrank" | "wilcoxon" | "tarone-ware" | "peto";

export interface LogRankResult {
  chisq: number;
  df: number;
  p: number;
  groups: { name: string; n: number; observed: number; expected: number }[];
  weighting: LogRankWeighting;
}

const isEvent = (e: number | boolean) => e === true || e === 1;

export function logRankTest(
  durations: ArrayLike<number>,
  events: ArrayLike<number | boolean>,
  groups: ArrayLike<string>,
  weighting: LogRankWeighting = "logrank",
): LogRankResult {
  const n = durations.length;
  const names = [...new Set(Array.from(groups))].sort();
  const k = names.length;
  if (k < 2) throw new RangeError("the log-rank test needs at least two groups");
  const index = new Map(names.map((g, i) => [g, i]));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => durations[a]! - durations[b]!);

  const atRisk = new Float64Array(k);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    atRisk[index.get(groups[i]!)!]! += 1;
    sizes[index.get(groups[i]!)!]! += 1;
  }
  let total = n;
  const observed = new Float64Array(k);
  const expected = new Float64Array(k);
  const oMinusE = new Float64Array(k);
  const v = Array.from({ length: k }, () => new Float64Array(k));
  let peto = 1;

  for (let p = 0; p < n; ) {
    const t = durations[order[p]!]!;
    const deaths = new Float64Array(k);
    const leaving = new Float64Array(k);
    let d = 0;
    let q = p;
    for (; q < n && durations[order[q]!]! === t; q++) {
      const i = order[q]!;
      const g = index.get(groups[i]!)!;
      leaving[g]! += 1;
      if (isEvent(events[i]!)) {
        deaths[g]! += 1;
        d++;
      }
    }
    if (d > 0) {
      // Peto-Peto's weight is the modified survival estimate at t itself, as in lifelines.
      peto *= 1 - d / (total + 1);
      const w =
        weighting === "wilcoxon"
          ? total
          : weighting === "tarone-ware"
            ? Math.sqrt(total)
            : weighting === "peto"
              ? peto
              : 1;
      const factor = total > 1 ? (d * (total - d)) / (total - 1) : 0;
      for (let g = 0; g < k; g++) {
        const share = atRisk[g]! / total;
        observed[g]! += deaths[g]!;
        expected[g]! += d * share;
        oMinusE[g]! += w * (deaths[g]! - d * share);
        for (let h = 0; h < k; h++) v[g]![h]! += w * w * factor * share * ((g === h ? 1 : 0) - atRisk[h]! / total);
      }
    }
    for (let g = 0; g < k; g++) atRisk[g]! -= leaving[g]!;
    total -= q - p;
    p = q;
  }

  const m = k - 1;
  const vm = Array.from({ length: m }, (_, i) => Array.from({ length: m }, (_, j) => v[i]![j]!));
  const u = Array.from({ length: m }, (_, i) => oMinusE[i]!);
  const x = solveSpd(vm, u);
  const chisq = x ? u.reduce((s, ui, i) => s + ui * x[i]!, 0) : 0;
  return {
    chisq,
    df: m,
    p: x ? chiSquareSurvival(chisq, m) : 1,
    groups: names.map((name, g) => ({ name, n: sizes[g]!, observed: observed[g]!, expected: expected[g]! })),
    weighting,
  };
}
