/**
 * The survival summary that `churn survival` prints (issue 3's JSON): for everyone and for each group, n, events,
 * the median (first time S ≤ 0.5, null when never reached) with its band, the restricted mean, and S(t) with its 95%
 * log-log band and the number at risk at the asked times; with two groups or more, the k-group log-rank test.
 */
import { indicesByGroup } from "./groups.ts";
import { kaplanMeier, survivalAt, type KaplanMeierCurve } from "./kaplan-meier.ts";
import { logRankTest } from "./log-rank.ts";

export interface SurvivalPoint {
  t: number;
  survival: number;
  lower: number;
  upper: number;
  atRisk: number;
}

export interface CurveSummary {
  n: number;
  events: number;
  median: number | null;
  medianLower: number | null;
  medianUpper: number | null;
  restrictedMean: number;
  at: SurvivalPoint[];
}

export interface SurvivalSummary {
  overall: CurveSummary;
  groups?: ({ name: string } & CurveSummary)[];
  logRank?: { chisq: number; df: number; p: number };
}

function summarize(curve: KaplanMeierCurve, times: number[]): CurveSummary {
  return {
    n: curve.n,
    events: curve.totalEvents,
    median: curve.median,
    medianLower: curve.medianLower,
    medianUpper: curve.medianUpper,
    restrictedMean: curve.restrictedMean,
    at: times.map((t) => ({ t, ...survivalAt(curve, t) })),
  };
}

/** The quartiles of the observed times (distinct), where survival is reported when no times are asked for. */
export function quartileTimes(durations: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(durations).sort();
  if (sorted.length === 0) return [];
  return [
    ...new Set(
      [0.25, 0.5, 0.75, 1].map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!),
    ),
  ];
}

/** `groups` (one label per subject) adds a curve per group and the log-rank test; it needs two groups or more. */
export function survivalSummary(
  durations: ArrayLike<number>,
  events: ArrayLike<number>,
  times: number[],
  groups?: readonly string[],
): SurvivalSummary {
  const out: SurvivalSummary = { overall: summarize(kaplanMeier(durations, events), times) };
  if (!groups) return out;
  out.groups = [...indicesByGroup(groups)].map(([name, idx]) => ({
    name,
    ...summarize(
      kaplanMeier(
        idx.map((i) => durations[i]!),
        idx.map((i) => events[i]!),
      ),
      times,
    ),
  }));
  const test = logRankTest(durations, events, groups);
  out.logRank = { chisq: test.chisq, df: test.df, p: test.p };
  return out;
}
