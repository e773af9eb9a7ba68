/**
 * Kaplan-Meier product-limit estimator with Greenwood's variance and the log-log confidence band
 * (R survival's conf.type = "log-log", lifelines' default):
 *   S(t) = Π_{t_i ≤ t} (1 − d_i / n_i),  G(t) = Σ_{t_i ≤ t} d_i / (n_i (n_i − d_i)),
 *   band = exp(−exp(log(−log S) ∓ z √G / log S)).
 * Case weights make d_i and n_i weighted sums; late entry (left truncation) puts a subject at risk at t when
 * entry < t ≤ duration. Median = first time with S ≤ 0.5 (lifelines' convention), null when never reached; its band
 * is where the bands cross 0.5. Restricted mean = ∫_0^τ S(t) dt.
 * Sources: Kaplan & Meier (1958); Greenwood (1926); Kalbfleisch & Prentice (2002) §1.4; lifelines KaplanMeierFitter.
 */
import { normalQuantile } from "../math/distributions.ts";

export interface KaplanMeierCurve {
  times: number[];
  survival: number[];
  lower: number[];
  upper: number[];
  atRisk: number[];
  events: number[];
  censored: number[];
  n: number;
  totalEvents: number;
  median: number | null;
  medianLower: number | null;
  medianUpper: number | null;
  restrictedMean: number;
  restrictedMeanTau: number;
}

export interface KaplanMeierOptions {
  /** 1 − confidence level of the band (default 0.05). */
  alpha?: number;
  weights?: ArrayLike<number>;
  /** Entry times for left truncation (default 0). */
  entry?: ArrayLike<number>;
  /** Horizon of the restricted mean (default the last observed time). */
  tau?: number;
}

const isEvent = (e: number | boolean) => e === true || e === 1;

export function kaplanMeier(
  durations: ArrayLike<number>,
  events: ArrayLike<number | boolean>,
  options: KaplanMeierOptions = {},
): KaplanMeierCurve {
  const n = durations.length;
  if (events.length !== n) throw new RangeError("durations and events differ in length");
  const z = normalQuantile(1 - (options.alpha ?? 0.05) / 2);
  const weights = options.weights;
  const entry = options.entry;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => durations[a]! - durations[b]!);

  // Distinct observed times with weighted event and censoring counts.
  const times: number[] = [];
  const eventCounts: number[] = [];
  const censorCounts: number[] = [];
  for (const i of order) {
    const t = durations[i]!;
    if (!Number.isFinite(t) || t < 0) throw new RangeError(`duration ${t} is not a non-negative number`);
    const w = weights ? weights[i]! : 1;
    if (times.length === 0 || times[times.length - 1] !== t) {
      times.push(t);
      eventCounts.push(0);
      censorCounts.push(0);
    }
    const k = times.length - 1;
    if (isEvent(events[i]!)) eventCounts[k]! += w;
    else censorCounts[k]! += w;
  }

  // At risk at t: subjects with duration ≥ t (and entry < t under late entry).
  const atRisk: number[] = new Array(times.length).fill(0);
  let remaining = 0;
  for (let i = 0; i < n; i++) remaining += weights ? weights[i]! : 1;
  for (let k = 0; k < times.length; k++) {
    atRisk[k] = remaining;
    remaining -= eventCounts[k]! + censorCounts[k]!;
  }
  if (entry) {
    // Subtract those not yet entered: entry ≥ t.
    const entries = Array.from({ length: n }, (_, i) => i).sort((a, b) => entry[a]! - entry[b]!);
    let j = n - 1;
    let notEntered = 0;
    for (let k = times.length - 1; k >= 0; k--) {
      while (j >= 0 && entry[entries[j]!]! >= times[k]!) {
        notEntered += weights ? weights[entries[j]!]! : 1;
        j--;
      }
      atRisk[k] = atRisk[k]! - notEntered;
    }
  }

  const survival: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  let s = 1;
  let greenwood = 0;
  for (let k = 0; k < times.length; k++) {
    const d = eventCounts[k]!;
    const r = atRisk[k]!;
    if (d > 0 && r > 0) {
      s *= 1 - d / r;
      greenwood += r > d ? d / (r * (r - d)) : Infinity;
    }
    survival.push(s);
    if (s <= 0 || !Number.isFinite(greenwood)) {
      lower.push(0);
      upper.push(s <= 0 ? 0 : 1);
    } else if (s >= 1) {
      lower.push(1);
      upper.push(1);
    } else {
      const logS = Math.log(s);
      const spread = (z * Math.sqrt(greenwood)) / logS; // negative
      lower.push(Math.exp(-Math.exp(Math.log(-logS) - spread)));
      upper.push(Math.exp(-Math.exp(Math.log(-logS) + spread)));
    }
  }

  const firstAtOrBelowHalf = (values: number[]) => {
    const k = values.findIndex((v) => v <= 0.5);
    return k >= 0 ? times[k]! : null;
  };
  const tau = options.tau ?? (times.length ? times[times.length - 1]! : 0);
  let rmst = 0;
  let previousTime = 0;
  let previousS = 1;
  for (let k = 0; k < times.length && times[k]! <= tau; k++) {
    rmst += previousS * (times[k]! - previousTime);
    previousTime = times[k]!;
    previousS = survival[k]!;
  }
  rmst += previousS * Math.max(0, tau - previousTime);

  return {
    times,
    survival,
    lower,
    upper,
    atRisk,
    events: eventCounts,
    censored: censorCounts,
    n,
    totalEvents: eventCounts.reduce((a, b) => a + b, 0),
    median: firstAtOrBelowHalf(survival),
    medianLower: firstAtOrBelowHalf(lower),
    medianUpper: firstAtOrBelowHalf(upper),
    restrictedMean: rmst,
    restrictedMeanTau: tau,
  };
}

/** S(t) and its band: 1 before the first time, the step value at or after each time. */
export function survivalAt(
  curve: KaplanMeierCurve,
  t: number,
): { survival: number; lower: number; upper: number; atRisk: number } {
  let lo = 0;
  let hi = curve.times.length - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (curve.times[mid]! <= t) {
      k = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const next = curve.atRisk[k + 1] ?? 0;
  if (k < 0) return { survival: 1, lower: 1, upper: 1, atRisk: curve.atRisk[0] ?? 0 };
  return {
    survival: curve.survival[k]!,
    lower: curve.lower[k]!,
    upper: curve.upper[k]!,
    atRisk: curve.times[k] === t ? curve.atRisk[k]! : next,
  };
}
