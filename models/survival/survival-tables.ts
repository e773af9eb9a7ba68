/**
 * The warehouse tables of Kaplan-Meier curves by group, shared by the survival stage (tenure by plan, segment, region,
 * channel) and survival by quadrant: survival_curves (each curve thinned to ≤ 200 points), survival_summary (n, events,
 * median with its band, restricted mean) and survival_logrank (k-group log-rank test per grouping).
 * Groups with fewer than MIN_GROUP customers are pooled as "(other)" (groups.ts).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendRows, type AppendType } from "../../loaders/append.ts";
import { run } from "../../loaders/db.ts";
import { kaplanMeier, type KaplanMeierCurve } from "./kaplan-meier.ts";
import { indicesByGroup, poolSmallGroups } from "./groups.ts";
import { logRankTest } from "./log-rank.ts";

const CREATE_SQL = [
  `CREATE OR REPLACE TABLE survival_curves (grouping VARCHAR, grp VARCHAR, t_days DOUBLE, survival DOUBLE,
     lower DOUBLE, upper DOUBLE, at_risk DOUBLE, events DOUBLE)`,
  `CREATE OR REPLACE TABLE survival_summary (grouping VARCHAR, grp VARCHAR, n INTEGER, events INTEGER,
     median_days DOUBLE, median_lower DOUBLE, median_upper DOUBLE, rmst_days DOUBLE, rmst_tau_days DOUBLE)`,
  `CREATE OR REPLACE TABLE survival_logrank (grouping VARCHAR, groups INTEGER, chisq DOUBLE, df INTEGER, p DOUBLE)`,
];

/** Keep every step when there are few; otherwise ≤ maxPoints evenly spaced in time, always the first and last. */
export function thinCurve(curve: KaplanMeierCurve, maxPoints = 200): number[] {
  const n = curve.times.length;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const last = curve.times[n - 1]!;
  const keep = new Set<number>([0, n - 1]);
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (curve.times[i]! >= next) {
      keep.add(i);
      next = curve.times[i]! + last / maxPoints;
    }
  }
  return [...keep].sort((a, b) => a - b);
}

/** Rows collected for the three tables, appended in one go by write(). */
export class SurvivalTables {
  readonly curves: unknown[][] = [];
  readonly summary: unknown[][] = [];
  readonly tests: unknown[][] = [];

  addCurve(grouping: string, grp: string, curve: KaplanMeierCurve): void {
    for (const i of thinCurve(curve))
      this.curves.push([
        grouping,
        grp,
        curve.times[i],
        curve.survival[i],
        curve.lower[i],
        curve.upper[i],
        curve.atRisk[i],
        curve.events[i],
      ]);
    this.summary.push([
      grouping,
      grp,
      curve.n,
      curve.totalEvents,
      curve.median,
      curve.medianLower,
      curve.medianUpper,
      curve.restrictedMean,
      curve.restrictedMeanTau,
    ]);
  }

  /** One curve per label (small groups pooled as "(other)") and, with two groups or more, the log-rank test. */
  addGrouping(
    grouping: string,
    labels: readonly string[],
    days: ArrayLike<number>,
    events: ArrayLike<number>,
  ): { groups: number; p: number | null } {
    const pooled = poolSmallGroups(labels);
    const members = indicesByGroup(pooled);
    for (const [name, idx] of members)
      this.addCurve(
        grouping,
        name,
        kaplanMeier(
          idx.map((i) => days[i]!),
          idx.map((i) => events[i]!),
        ),
      );
    if (members.size < 2) return { groups: members.size, p: null };
    const test = logRankTest(days, events, pooled);
    this.tests.push([grouping, members.size, test.chisq, test.df, test.p]);
    return { groups: members.size, p: test.p };
  }

  /** Append the collected rows to the tables (made by createSurvivalTables). */
  async write(conn: DuckDBConnection): Promise<void> {
    const D: AppendType = "double",
      V: AppendType = "varchar",
      I: AppendType = "integer";
    await appendRows(conn, "survival_curves", [V, V, D, D, D, D, D, D], this.curves);
    await appendRows(conn, "survival_summary", [V, V, I, I, D, D, D, D, D], this.summary);
    await appendRows(conn, "survival_logrank", [V, I, D, I, D], this.tests);
  }
}

/** Create the three tables afresh. */
export async function createSurvivalTables(conn: DuckDBConnection): Promise<void> {
  for (const sql of CREATE_SQL) await run(conn, sql);
}
