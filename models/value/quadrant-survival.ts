/**
 * Survival by Reinartz-Kumar quadrant, as a landmark analysis (Anderson, Cain & Gelber 1983).
 *
 * A quadrant describes a customer who is active now, so tenure curves by today's quadrant would hold no churn at all,
 * and placing customers by what they became later would credit the loyal with time they had to survive to get there
 * (immortal-time bias). Instead every customer is valued as of a landmark L = as-of − `quadrantLandmarkMonths`, with
 * data up to L only (valuation.ts: the same CLV, loyalty and median thresholds as the value page), and the subscribers
 * active on L are followed from L to churn or to the as-of date (tenure.ts followUpFromLandmark). Kaplan-Meier curves
 * per quadrant and the log-rank test go to survival_curves, survival_summary and survival_logrank under grouping
 * 'quadrant', with time = days since L; warehouse_meta 'survival_quadrant' records L, the thresholds and the counts.
 * One-off buyers are not followed: their churn is never observed, only inferred (P(alive) on the value page).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { addMonths, daysBetween } from "../../loaders/dates.ts";
import { run, tableExists } from "../../loaders/db.ts";
import type { Analysis, AnalysisReport } from "../context.ts";
import { MIN_GROUP } from "../survival/groups.ts";
import { SurvivalTables } from "../survival/survival-tables.ts";
import { followUpFromLandmark, type FollowUp } from "../survival/tenure.ts";
import type { Quadrant } from "./segments.ts";
import { loadValueSettings, type ValueSettings } from "./settings.ts";
import { landmarkValuation, type SharedWork } from "./landmark-valuation.ts";
import type { Valuation } from "./valuation.ts";

export const QUADRANT_GROUPING = "quadrant";

const skipped = (reason: string): AnalysisReport => ({
  name: "quadrant survival",
  ran: false,
  skipped: reason,
  tables: [],
  summary: {},
});

export interface QuadrantFollowUp {
  landmark: string;
  followUp: FollowUp;
  /** The quadrant on the landmark of each followed customer. */
  labels: Quadrant[];
  valuation: Valuation;
}

/** Subscribers active on the landmark (as-of − quadrantLandmarkMonths), their quadrant then, and their follow-up. */
export async function quadrantFollowUp(
  conn: DuckDBConnection,
  asOf: string,
  settings: ValueSettings,
  shared?: SharedWork,
): Promise<QuadrantFollowUp | { skipped: string }> {
  const landmark = addMonths(asOf, -settings.quadrantLandmarkMonths);
  const followUp = await followUpFromLandmark(conn, landmark, asOf);
  if (followUp.customerIds.length < 2 * MIN_GROUP) {
    return {
      skipped:
        `only ${followUp.customerIds.length} subscribers were active on the landmark ${landmark} ` +
        `(${settings.quadrantLandmarkMonths} months before the as-of date): too few to compare quadrants`,
    };
  }
  // Left in `shared` for the reasons stage, which needs the same valuation.
  const valuation = await landmarkValuation(conn, landmark, settings, { shared, keep: true });
  const quadrantById = new Map(
    valuation.rows.flatMap((r) => (r.kind === "subscriber" && r.quadrant ? [[r.id, r.quadrant] as const] : [])),
  );
  const labels = followUp.customerIds.map((id) => {
    const quadrant = quadrantById.get(id);
    // Both sides use one definition of "active on L" (start ≤ L and no end or end > L); a gap here is a bug.
    if (!quadrant) throw new Error(`quadrant survival: ${id} was active on ${landmark} but has no quadrant then`);
    return quadrant;
  });
  return { landmark, followUp, labels, valuation };
}

export const analyzeQuadrantSurvival: Analysis = async (ctx) => {
  if (!(await tableExists(ctx.conn, "survival_curves")))
    return skipped("no subscriptions: survival by quadrant follows subscribers to churn");
  const settings = loadValueSettings();
  for (const table of ["survival_curves", "survival_summary", "survival_logrank"]) {
    await run(ctx.conn, `DELETE FROM ${table} WHERE grouping = $g`, { g: QUADRANT_GROUPING });
  }
  await run(ctx.conn, "DELETE FROM warehouse_meta WHERE key = 'survival_quadrant'");

  const result = await quadrantFollowUp(ctx.conn, ctx.asOf, settings, ctx.shared);
  if ("skipped" in result) return skipped(result.skipped);
  const { landmark, followUp, labels, valuation } = result;
  const tables = new SurvivalTables();
  const test = tables.addGrouping(QUADRANT_GROUPING, labels, followUp.days, followUp.events);
  await tables.write(ctx.conn);

  const customersByQuadrant: Record<string, number> = {};
  for (const l of labels) customersByQuadrant[l] = (customersByQuadrant[l] ?? 0) + 1;
  const churned = followUp.events.reduce((s, e) => s + e, 0);
  const meta = {
    landmark,
    landmarkMonths: settings.quadrantLandmarkMonths,
    followUpDays: daysBetween(landmark, ctx.asOf),
    customers: followUp.customerIds.length,
    churned,
    customersByQuadrant,
    thresholds: valuation.thresholds,
    notes: valuation.notes,
    rule:
      `Quadrant as of ${landmark} (CLV and expected loyalty from data up to that day); ` +
      "subscribers active then, followed to churn or censored at the as-of date.",
  };
  await run(ctx.conn, "INSERT OR REPLACE INTO warehouse_meta VALUES ('survival_quadrant', $v)", {
    v: JSON.stringify(meta),
  });
  return {
    name: "quadrant survival",
    ran: true,
    tables: ["survival_curves", "survival_summary", "survival_logrank"],
    summary: { landmark, customers: meta.customers, churned, groups: test.groups, logRankP: test.p },
  };
};
