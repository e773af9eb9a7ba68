/**
 * Why customers leave (`churn build`): churn_reason_events (one row per stated reason, events.ts) and churn_reasons,
 * per month (of the cancellation date), reason and category: cancellations (events), customers (distinct),
 * lost_mrr (sum of the events' lost MRR, currency per month) and lost_clv (sum over the distinct customers of their
 * CLV if won back, currency; null without customer values). Also the quadrant each customer was in before leaving:
 * the Reinartz-Kumar quadrant on the landmark as-of − quadrantLandmarkMonths (valuation.ts, the same landmark as
 * survival by quadrant), given only to reasons dated after the landmark.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendRows } from "../../loaders/append.ts";
import { addMonths } from "../../loaders/dates.ts";
import { queryOne, run, tableExists } from "../../loaders/db.ts";
import { isUserError } from "../../loaders/errors.ts";
import type { Analysis } from "../context.ts";
import { loadValueSettings } from "../value/settings.ts";
import { landmarkValuation, type SharedWork } from "../value/landmark-valuation.ts";
import type { valueCustomers } from "../value/valuation.ts";
import { buildReasonEvents } from "./events.ts";
import { loadReasonRules } from "./rules.ts";
import { churnedWithoutReason } from "./summary.ts";

export const CHURN_REASONS_SQL = `
  CREATE OR REPLACE TABLE churn_reasons AS
  SELECT month, reason, category, sum(n)::INTEGER AS cancellations, count(*)::INTEGER AS customers,
         sum(mrr)::DOUBLE AS lost_mrr, sum(clv)::DOUBLE AS lost_clv
  FROM (SELECT month, reason, category, customer_id, count(*) AS n, sum(lost_mrr) AS mrr, any_value(lost_clv) AS clv
        FROM churn_reason_events GROUP BY ALL)
  GROUP BY ALL ORDER BY month, cancellations DESC, reason, category`;

/** Each customer's quadrant on the landmark, as a temp table (customer_id, quadrant, landmark); null if none. */
async function landmarkQuadrants(
  conn: DuckDBConnection,
  asOf: string,
  shared?: SharedWork,
): Promise<string | undefined> {
  if (!(await tableExists(conn, "customer_value"))) return undefined;
  const settings = loadValueSettings();
  const landmark = addMonths(asOf, -settings.quadrantLandmarkMonths);
  let valuation: Awaited<ReturnType<typeof valueCustomers>>;
  try {
    // The quadrant survival stage's valuation when it left one (the same landmark and settings).
    valuation = await landmarkValuation(conn, landmark, settings, { shared, keep: false });
  } catch (error) {
    if (isUserError(error)) return undefined; // too little data on the landmark: no quadrants, said on the page
    throw error;
  }
  const rows = valuation.rows.flatMap((r) => (r.quadrant ? [[r.id, r.quadrant, landmark]] : []));
  if (rows.length === 0) return undefined;
  await run(
    conn,
    "CREATE OR REPLACE TEMP TABLE reason_quadrants (customer_id VARCHAR, quadrant VARCHAR, landmark DATE)",
  );
  await appendRows(conn, "reason_quadrants", ["varchar", "varchar", "varchar"], rows);
  return "reason_quadrants";
}

export const analyzeReasons: Analysis = async (ctx) => {
  const rules = loadReasonRules();
  const quadrants = await landmarkQuadrants(ctx.conn, ctx.asOf, ctx.shared);
  const events = await buildReasonEvents(ctx.conn, ctx.asOf, rules, {
    table: "churn_reason_events",
    temp: false,
    ...(quadrants ? { quadrants } : {}),
  });
  if (quadrants) await run(ctx.conn, `DROP TABLE ${quadrants}`);
  // Written even when empty, so the site and `churn reasons` read one shape.
  await run(ctx.conn, CHURN_REASONS_SQL);
  if (events.events === 0)
    return {
      name: "reasons",
      ran: false,
      skipped: "no cancellation reasons: no cancellations export and no cancellation_request interactions with a note",
      tables: ["churn_reason_events", "churn_reasons"],
      summary: {},
    };
  const unclassified = await queryOne<{ n: number }>(
    ctx.conn,
    "SELECT count(*)::INTEGER AS n FROM churn_reason_events WHERE category = 'unclassified'",
  );
  const silent = await churnedWithoutReason(ctx.conn, ctx.asOf, "churn_reason_events");
  return {
    name: "reasons",
    ran: true,
    tables: ["churn_reason_events", "churn_reasons"],
    summary: {
      source: events.source,
      events: events.events,
      unclassified: unclassified?.n ?? 0,
      churnedWithoutReason: silent ? `${silent.withoutReason} of ${silent.churned}` : "n/a",
    },
  };
};
