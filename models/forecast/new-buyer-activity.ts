/**
 * How new buyers stay active, read off the business's own recent buyers instead of a model: A(a) = of the buyers
 * whose first purchase was in the last COHORT_DAYS days before the cut-off and at least a days before it, the share
 * active a days after their first purchase (a purchase in the W days up to then). An empirical retention curve by
 * age, as a cohort table reads it; it needs no assumption on how purchases are timed, which matters where buyers pay
 * at a regular cycle (BG/NBD's Poisson timing, for a new customer, let a monthly payer lapse in the forecast after W
 * days: the generated invoices-only businesses' new buyers were counted 30% short at six months).
 *
 * Counted with one pass over the purchase days: each purchase at age t makes its buyer active for ages
 * [t, min(next purchase's age, t + W, age reached by the cut-off + 1)); the starts and ends are summed by age and
 * accumulated (a difference array), as are the buyers reaching each age. Null when fewer than MIN_BUYERS buyers
 * reach the oldest age asked for: the forecast then keeps BG/NBD's curve.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query } from "../../loaders/db.ts";
import { buyerDaysUpTo } from "../value/buyer-days.ts";

/** The cohorts: buyers whose first purchase is within this many days before the cut-off (ages above it excepted). */
const COHORT_DAYS = 365;
/** Buyers reaching an age below which the curve is not trusted. */
export const MIN_BUYERS = 50;

const ACTIVITY_SQL = (days: string) => `
  WITH d AS (${days}),
  firsts AS (SELECT customer_id, min(date) AS first FROM d GROUP BY customer_id),
  cohort AS (SELECT customer_id, first, ($as_of::DATE - first)::INTEGER AS reached FROM firsts
             WHERE first > $as_of::DATE - ($cohort_days::INTEGER + $max_age::INTEGER)),
  purchases AS (
    SELECT c.reached, (d.date - c.first)::INTEGER AS t,
           lead((d.date - c.first)::INTEGER) OVER (PARTITION BY d.customer_id ORDER BY d.date) AS next
    FROM d JOIN cohort c USING (customer_id)
  ),
  spans AS (
    SELECT t AS start, least(coalesce(next, t + $window::INTEGER), t + $window::INTEGER, reached + 1, $max_age + 1)
           AS stop
    FROM purchases WHERE t <= $max_age
  ),
  events AS (
    SELECT start AS age, 1 AS active, 0 AS reaching FROM spans WHERE stop > start
    UNION ALL SELECT stop, -1, 0 FROM spans WHERE stop > start
    UNION ALL SELECT 0, 0, 1 FROM cohort
    UNION ALL SELECT least(reached, $max_age) + 1, 0, -1 FROM cohort
  )
  SELECT age, sum(active)::BIGINT AS active, sum(reaching)::BIGINT AS reaching
  FROM events WHERE age <= $max_age GROUP BY age ORDER BY age`;

/**
 * A(a) for ages 0..maxAge days (index = age), with the data up to `asOf` and the buyers' window W; null when too few
 * buyers reach maxAge.
 */
export async function newBuyerActivity(
  conn: DuckDBConnection,
  asOf: string,
  windowDays: number,
  maxAge: number,
): Promise<Float64Array | null> {
  const rows = await query<{ age: number; active: number; reaching: number }>(
    conn,
    ACTIVITY_SQL(buyerDaysUpTo(conn, "as_of")),
    { as_of: asOf, cohort_days: COHORT_DAYS, max_age: maxAge, window: windowDays },
  );
  const curve = new Float64Array(maxAge + 1);
  let active = 0;
  let reaching = 0;
  let r = 0;
  for (let age = 0; age <= maxAge; age++) {
    for (; r < rows.length && rows[r]!.age === age; r++) {
      active += rows[r]!.active;
      reaching += rows[r]!.reaching;
    }
    if (reaching < MIN_BUYERS) return null;
    curve[age] = active / reaching;
  }
  return curve;
}
