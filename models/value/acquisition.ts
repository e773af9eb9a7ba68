/**
 * Acquisition economics per acquisition channel and per signup cohort (month), from customers.acquisition_cost:
 * - **CAC** = Σ acquisition cost ÷ customers acquired with a recorded cost (customers whose cost is blank are left out
 *   of CAC, LTV and payback alike, and counted, so the page can say how much is missing);
 * - **LTV** per acquired customer = margin × realised revenue up to the as-of date + the CLV of the next horizon
 *   (customer_value.clv: 0 for a customer already lost), averaged over the same customers: a lifetime cut at the
 *   value horizon after today, not an extrapolation to infinity;
 * - **LTV:CAC** = LTV ÷ CAC (null when CAC is 0 or unknown);
 * - **CAC payback** = months after signup until the cumulative margin of an average acquired customer reaches CAC:
 *   for month k (days [30.4375 k, 30.4375 (k + 1)) after signup) the mean margin over the customers whose month k is
 *   complete by the as-of date (those lost earlier count as 0), summed over k and interpolated linearly inside the
 *   month it crosses CAC; null when it has not crossed within the months observed.
 * Realised revenue: a customer's transactions (net of refunds) when they have any, else (a subscription export without
 * invoices) MRR × the days their subscriptions covered ÷ 30.4375. Revenue before signup counts in month 0.
 * Writes acquisition_economics.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { appendRows } from "../../loaders/append.ts";
import { query, queryOne, run, tableExists } from "../../loaders/db.ts";
import type { Analysis } from "../context.ts";
import { filterValue } from "../cohorts/subscription-states.ts";
import { loadValueSettings } from "./settings.ts";

export const MONTH_DAYS = 30.4375;

/**
 * Customers acquired by the as-of date, once per dimension (bind $as_of). Channels beyond the 25 most common are one,
 * "(other)", as in the cohort filters (filterValue): a channel field holding a campaign per customer gave the report
 * a bar per customer (5,000 on the sample, a page 145,000 px long).
 */
const LONG_SQL = `
  WITH c AS (
    SELECT customer_id, ${filterValue("acquisition_channel", "customers", "acquisition_channel")} AS channel,
           strftime(signup_date, '%Y-%m') AS cohort,
           acquisition_cost AS cost, date_diff('day', signup_date, $as_of::DATE) AS age
    FROM customers WHERE signup_date <= $as_of
  )
  SELECT 'channel' AS dimension, channel AS value, customer_id, cost, age FROM c
  UNION ALL SELECT 'cohort', cohort, customer_id, cost, age FROM c`;

/** Revenue per customer and month since signup k: transactions, or subscriptions for customers without any. */
const REVENUE_SQL = `
  WITH c AS (SELECT customer_id, signup_date FROM customers WHERE signup_date <= $as_of),
  tx AS (
    SELECT t.customer_id, greatest(0, floor(date_diff('day', c.signup_date, t.date) / $m))::INTEGER AS k,
           sum(t.amount) AS revenue
    FROM transactions t JOIN c USING (customer_id) WHERE t.date <= $as_of GROUP BY ALL
  ), spans AS (
    SELECT s.customer_id, coalesce(s.mrr, 0) AS mrr,
           greatest(0, date_diff('day', c.signup_date, s.start_date)) AS a,
           date_diff('day', c.signup_date, least(coalesce(s.end_date, $as_of::DATE), $as_of::DATE)) AS b
    FROM subscriptions s JOIN c USING (customer_id)
    WHERE s.start_date <= $as_of AND s.customer_id NOT IN (SELECT customer_id FROM tx)
  ), sub AS (
    SELECT customer_id, k, sum(mrr * greatest(0, least(b, (k + 1) * $m) - greatest(a, k * $m)) / $m) AS revenue
    FROM (SELECT *, unnest(range(CAST(floor(a / $m) AS BIGINT), CAST(floor((b - 1) / $m) AS BIGINT) + 1)) AS k
          FROM spans WHERE b > a)
    GROUP BY ALL
  )
  SELECT customer_id, k, revenue FROM tx UNION ALL SELECT customer_id, CAST(k AS INTEGER), revenue FROM sub`;

/** Group totals over all customers and over those with a cost (bind $as_of, $m; needs temp tables econ_*). */
const TOTALS_SQL = `
  SELECT l.dimension, l.value, count(*)::INTEGER AS customers, count(l.cost)::INTEGER AS with_cost,
         sum(l.cost) AS spend, coalesce(sum(r.revenue) FILTER (WHERE l.cost IS NOT NULL), 0) AS revenue,
         coalesce(sum(v.clv) FILTER (WHERE l.cost IS NOT NULL), 0) AS clv
  FROM econ_long l
  LEFT JOIN (SELECT customer_id, sum(revenue) AS revenue FROM econ_revenue GROUP BY 1) r USING (customer_id)
  LEFT JOIN econ_clv v USING (customer_id)
  GROUP BY ALL ORDER BY l.dimension, l.value`;

/** Customers with a cost by complete months since signup, per group. */
const AGES_SQL = `
  SELECT dimension, value, CAST(floor(age / $m) AS INTEGER) AS full_months, count(*)::INTEGER AS customers
  FROM econ_long WHERE cost IS NOT NULL GROUP BY ALL`;

/** Revenue of month k summed over the customers with a cost whose month k is complete, per group. */
const MONTHS_SQL = `
  SELECT l.dimension, l.value, r.k, sum(r.revenue) AS revenue
  FROM econ_long l JOIN econ_revenue r USING (customer_id)
  WHERE l.cost IS NOT NULL AND r.k < floor(l.age / $m) GROUP BY ALL`;

/** What one group's economics are computed from (all money before the margin). */
export interface GroupTotals {
  dimension: "channel" | "cohort";
  value: string;
  customers: number;
  /** The rest below is over the customers with a recorded acquisition cost only. */
  customersWithCost: number;
  acquisitionSpend: number;
  /** Realised revenue up to the as-of date. */
  revenue: number;
  /** Σ CLV of the coming horizon (customer_value.clv, margin included). */
  clvAhead: number;
  /** Customers by complete months since signup (floor(age / 30.4375)). */
  fullMonths: Map<number, number>;
  /** Revenue of month k since signup, over the customers whose month k is complete. */
  revenueByMonth: Map<number, number>;
}

export interface EconomicsRow {
  dimension: "channel" | "cohort";
  value: string;
  customers: number;
  customersWithCost: number;
  acquisitionSpend: number | null;
  cac: number | null;
  ltv: number | null;
  ltvToCac: number | null;
  paybackMonths: number | null;
  monthsObserved: number;
  note: string;
}

/** The economics of one group (pure: the hand-computed test feeds it directly). */
export function groupEconomics(g: GroupTotals, margin: number): EconomicsRow {
  const base = {
    dimension: g.dimension,
    value: g.value,
    customers: g.customers,
    customersWithCost: g.customersWithCost,
  };
  if (g.customersWithCost === 0)
    return {
      ...base,
      acquisitionSpend: null,
      cac: null,
      ltv: null,
      ltvToCac: null,
      paybackMonths: null,
      monthsObserved: 0,
      note: "no acquisition costs recorded: CAC, LTV:CAC and payback cannot be computed",
    };
  const n = g.customersWithCost;
  const cac = g.acquisitionSpend / n;
  const ltv = (margin * g.revenue + g.clvAhead) / n;
  const observed = Math.max(0, ...g.fullMonths.keys());
  let cumulative = 0,
    payback: number | null = cac <= 0 ? 0 : null;
  for (let k = 0; k < observed && payback === null; k++) {
    // Customers whose month k is complete: at least k + 1 full months since signup.
    let complete = 0;
    for (const [months, count] of g.fullMonths) if (months >= k + 1) complete += count;
    const mean = (margin * (g.revenueByMonth.get(k) ?? 0)) / complete;
    if (mean > 0 && cumulative + mean >= cac) payback = k + (cac - cumulative) / mean;
    cumulative += mean;
  }
  const missing = g.customers - n;
  return {
    ...base,
    acquisitionSpend: g.acquisitionSpend,
    cac,
    ltv,
    ltvToCac: cac > 0 ? ltv / cac : null,
    paybackMonths: payback,
    monthsObserved: observed,
    note: [
      missing ? `acquisition cost missing for ${missing} of ${g.customers} customers (left out)` : "",
      payback === null ? `not paid back within the ${observed} months observed` : "",
      cac <= 0 ? "no acquisition cost recorded above 0 (CAC 0): LTV:CAC undefined" : "",
    ]
      .filter(Boolean)
      .join("; "),
  };
}

/** Every group's totals from the warehouse, up to `asOf`. */
export async function groupTotals(conn: DuckDBConnection, asOf: string): Promise<GroupTotals[]> {
  const m = MONTH_DAYS;
  await run(conn, `CREATE OR REPLACE TEMP TABLE econ_long AS ${LONG_SQL}`, { as_of: asOf });
  await run(conn, `CREATE OR REPLACE TEMP TABLE econ_revenue AS ${REVENUE_SQL}`, { as_of: asOf, m });
  await run(
    conn,
    (await tableExists(conn, "customer_value"))
      ? "CREATE OR REPLACE TEMP TABLE econ_clv AS SELECT customer_id, clv FROM customer_value"
      : "CREATE OR REPLACE TEMP TABLE econ_clv (customer_id VARCHAR, clv DOUBLE)",
  );
  const totals = await query<{
    dimension: "channel" | "cohort";
    value: string;
    customers: number;
    with_cost: number;
    spend: number | null;
    revenue: number;
    clv: number;
  }>(conn, TOTALS_SQL);
  const key = (d: string, v: string) => `${d}\u0000${v}`;
  const ages = new Map<string, Map<number, number>>();
  for (const r of await query<{ dimension: string; value: string; full_months: number; customers: number }>(
    conn,
    AGES_SQL,
    { m },
  )) {
    const map = ages.get(key(r.dimension, r.value)) ?? new Map<number, number>();
    map.set(r.full_months, r.customers);
    ages.set(key(r.dimension, r.value), map);
  }
  const months = new Map<string, Map<number, number>>();
  for (const r of await query<{ dimension: string; value: string; k: number; revenue: number }>(conn, MONTHS_SQL, {
    m,
  })) {
    const map = months.get(key(r.dimension, r.value)) ?? new Map<number, number>();
    map.set(r.k, r.revenue);
    months.set(key(r.dimension, r.value), map);
  }
  for (const t of ["econ_long", "econ_revenue", "econ_clv"]) await run(conn, `DROP TABLE IF EXISTS ${t}`);
  return totals.map((t) => ({
    dimension: t.dimension,
    value: t.value,
    customers: t.customers,
    customersWithCost: t.with_cost,
    acquisitionSpend: Number(t.spend ?? 0),
    revenue: Number(t.revenue),
    clvAhead: Number(t.clv),
    fullMonths: ages.get(key(t.dimension, t.value)) ?? new Map(),
    revenueByMonth: months.get(key(t.dimension, t.value)) ?? new Map(),
  }));
}

export const analyzeAcquisition: Analysis = async (ctx) => {
  const n = await queryOne<{ n: number; costed: number }>(
    ctx.conn,
    "SELECT count(*)::INTEGER AS n, count(acquisition_cost)::INTEGER AS costed FROM customers",
  );
  if (!n?.n) return { name: "acquisition", ran: false, skipped: "no customers export", tables: [], summary: {} };
  const margin = loadValueSettings().margin;
  const rows = (await groupTotals(ctx.conn, ctx.asOf)).map((g) => groupEconomics(g, margin));
  await run(
    ctx.conn,
    `CREATE OR REPLACE TABLE acquisition_economics (dimension VARCHAR, value VARCHAR, customers INTEGER,
      customers_with_cost INTEGER, acquisition_spend DOUBLE, cac DOUBLE, ltv DOUBLE, ltv_to_cac DOUBLE,
      payback_months DOUBLE, months_observed INTEGER, note VARCHAR)`,
  );
  await appendRows(
    ctx.conn,
    "acquisition_economics",
    [
      "varchar",
      "varchar",
      "integer",
      "integer",
      "double",
      "double",
      "double",
      "double",
      "double",
      "integer",
      "varchar",
    ],
    rows.map((r) => [
      r.dimension,
      r.value,
      r.customers,
      r.customersWithCost,
      r.acquisitionSpend,
      r.cac,
      r.ltv,
      r.ltvToCac,
      r.paybackMonths,
      r.monthsObserved,
      r.note,
    ]),
  );
  const meta = {
    customers: n.n,
    customersWithCost: n.costed,
    margin,
    missing: n.costed === 0 ? "no acquisition costs in the customers export" : null,
  };
  await run(ctx.conn, "INSERT OR REPLACE INTO warehouse_meta VALUES ('acquisition_economics', $v)", {
    v: JSON.stringify(meta),
  });
  return { name: "acquisition", ran: true, tables: ["acquisition_economics"], summary: meta };
};
