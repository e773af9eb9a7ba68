// "Why customers leave" page data: churn_reasons and churn_reason_events (models/reasons), the share of churned
// customers with no reason, and a sample of the customers' own words per reason.
import { query, queryOne, tableExists } from "../../loaders/db.ts";
import { churnedWithoutReason, withoutReasonByMonth } from "../../models/reasons/summary.ts";
import { addMonths } from "../../loaders/dates.ts";
import { filterValue } from "../../models/cohorts/subscription-states.ts";
import { loadValueSettings } from "../../models/value/settings.ts";
import { withWarehouse } from "./lib/warehouse.ts";

/**
 * At most this many reasons get their own bars, rows and quotes on the page; the others are one "(other reasons)" per
 * category. A free-text reason field (a cancellation form's "why?") gave a bar, a row and a quote card per customer:
 * 656 reasons on the sample's cancellations, a page 57,000 px long. The warehouse's tables keep every reason.
 */
const MAX_REASONS = 15;
const OTHER_REASONS = "(other reasons)";
/** churn_reason_events with the reasons beyond the MAX_REASONS most frequent (ties by reason) as OTHER_REASONS. */
const EVENTS = `(SELECT * REPLACE (CASE WHEN reason IN (
    SELECT reason FROM churn_reason_events GROUP BY reason ORDER BY count(*) DESC, reason LIMIT ${MAX_REASONS}
  ) THEN reason ELSE '${OTHER_REASONS}' END AS reason) FROM churn_reason_events)`;

const BY_REASON_SQL = `
  SELECT reason, category,
         CASE WHEN reason <> '${OTHER_REASONS}' THEN any_value(reason_group) END AS "group", sum(n)::INTEGER AS events,
         count(*)::INTEGER AS customers, sum(lost_mrr)::DOUBLE AS "lostMrr", sum(clv)::DOUBLE AS "lostClv"
  FROM (SELECT reason, category, customer_id, count(*) AS n, any_value(reason_group) AS reason_group,
               sum(lost_mrr) AS lost_mrr, any_value(lost_clv) AS clv
        FROM ${EVENTS} GROUP BY reason, category, customer_id)
  GROUP BY reason, category ORDER BY events DESC, reason, category`;

/** churn_reasons (models/reasons/analyze.ts), by the same definition, of the page's reasons. */
const MONTHLY_SQL = `
  SELECT month, reason, category, sum(n)::INTEGER AS cancellations, count(*)::INTEGER AS customers,
         sum(mrr)::DOUBLE AS "lostMrr", sum(clv)::DOUBLE AS "lostClv"
  FROM (SELECT month, reason, category, customer_id, count(*) AS n, sum(lost_mrr) AS mrr, any_value(lost_clv) AS clv
        FROM ${EVENTS} GROUP BY ALL)
  GROUP BY ALL ORDER BY month, reason, category`;

/**
 * Events per value of a dimension (plan, segment, quadrant) and category; blank = "(none)"; plans and segments beyond
 * the 25 most common are "(other)", as in the cohort filters (a plan name per account gave a facet per customer).
 */
const BREAKDOWN_SQL = {
  plan: filterValue("plan", "churn_reason_events", "plan"),
  segment: filterValue("segment", "churn_reason_events", "segment"),
  quadrant: "coalesce(quadrant, '(not valued)')",
} as const;

/** Up to five of the most recent distinct notes per reason. */
const QUOTES_SQL = `
  SELECT reason, category, note, CAST(date AS VARCHAR) AS date, plan FROM (
    SELECT reason, category, trim(note) AS note, max(date) AS date, arg_max(plan, date) AS plan FROM ${EVENTS}
    WHERE nullif(trim(note), '') IS NOT NULL GROUP BY reason, category, trim(note)
  ) QUALIFY row_number() OVER (PARTITION BY reason ORDER BY date DESC, note) <= 5
  ORDER BY reason, date DESC, note`;

await withWarehouse(async (db, meta) => {
  const conn = db.connection;
  if (!(await tableExists(conn, "churn_reason_events")))
    return {
      available: false,
      reason: "No cancellation reasons in this warehouse: run `npm run build` (or `churn build`) again.",
    };
  const events = (await queryOne<{ n: number }>(conn, "SELECT count(*)::INTEGER AS n FROM churn_reason_events"))?.n;
  if (!events)
    return {
      available: false,
      reason:
        "No cancellation reasons: the exports have no cancellations.csv and no cancellation_request " +
        "interactions with a note. Add a cancellations export (customer_id, date, reason; see the README) " +
        "to see why customers leave.",
    };
  const asOf = String(meta["as_of"]);
  const source = (
    await queryOne<{ source: string }>(conn, "SELECT any_value(source) AS source FROM churn_reason_events")
  )?.source;
  const breakdowns: Record<string, unknown[]> = {};
  for (const [name, expr] of Object.entries(BREAKDOWN_SQL)) {
    breakdowns[name] = await query(
      conn,
      `SELECT ${expr} AS value, reason, category, count(*)::INTEGER AS events, count(DISTINCT customer_id)::INTEGER
       AS customers FROM ${EVENTS} GROUP BY ALL ORDER BY value, events DESC, reason`,
    );
  }
  const valued = (
    await queryOne<{ n: number }>(
      conn,
      "SELECT count(*) FILTER (WHERE lost_clv IS NOT NULL)::INTEGER AS n FROM churn_reason_events",
    )
  )?.n;
  return {
    available: true,
    asOf,
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    source,
    events,
    reasons: await query(conn, BY_REASON_SQL),
    monthly: await query(conn, MONTHLY_SQL),
    breakdowns,
    hasValues: (valued ?? 0) > 0,
    // Quadrants are as on this landmark (models/reasons/analyze.ts), for reasons dated after it.
    quadrantLandmark: addMonths(asOf, -loadValueSettings().quadrantLandmarkMonths),
    quotes: await query(conn, QUOTES_SQL),
    churned: await churnedWithoutReason(conn, asOf, "churn_reason_events"),
    withoutReasonByMonth: await withoutReasonByMonth(conn, asOf, "churn_reason_events"),
  };
});
