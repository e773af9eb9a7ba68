// The data-quality page's data: rows per source, rejected rows by reason with examples, date ranges, coverage.
import { query, tableExists } from "../../loaders/db.ts";
import { SOURCE_NAMES } from "../../loaders/schema.ts";
import { withWarehouse } from "./lib/warehouse.ts";

const REASONS_SQL = `
  SELECT source, reason, count(*)::INTEGER AS rows FROM rejected_rows
  GROUP BY ALL ORDER BY rows DESC, source, reason`;

const EXAMPLES_SQL = `
  SELECT source, file, line::INTEGER AS line, "column", reason, raw FROM (
    SELECT *, row_number() OVER (PARTITION BY source, reason ORDER BY file, line) AS k FROM rejected_rows
  ) WHERE k <= 5 ORDER BY source, reason, line`;

const RANGE_SQL: Record<string, string> = {
  customers: `
    SELECT 'customers' AS source, count(*)::INTEGER AS rows, count(DISTINCT customer_id)::INTEGER AS customers,
           CAST(min(signup_date) AS VARCHAR) AS first, CAST(max(signup_date) AS VARCHAR) AS last
    FROM customers`,
  transactions: `
    SELECT 'transactions' AS source, count(*)::INTEGER AS rows, count(DISTINCT customer_id)::INTEGER AS customers,
           CAST(min(date) AS VARCHAR) AS first, CAST(max(date) AS VARCHAR) AS last
    FROM transactions`,
  subscriptions: `
    SELECT 'subscriptions' AS source, count(*)::INTEGER AS rows, count(DISTINCT customer_id)::INTEGER AS customers,
           CAST(min(start_date) AS VARCHAR) AS first, CAST(max(coalesce(end_date, start_date)) AS VARCHAR) AS last
    FROM subscriptions`,
  interactions: `
    SELECT 'interactions' AS source, count(*)::INTEGER AS rows, count(DISTINCT customer_id)::INTEGER AS customers,
           CAST(min(date) AS VARCHAR) AS first, CAST(max(date) AS VARCHAR) AS last
    FROM interactions`,
  surveys: `
    SELECT 'surveys' AS source, count(*)::INTEGER AS rows, count(DISTINCT customer_id)::INTEGER AS customers,
           CAST(min(date) AS VARCHAR) AS first, CAST(max(date) AS VARCHAR) AS last
    FROM surveys`,
  cancellations: `
    SELECT 'cancellations' AS source, count(*)::INTEGER AS rows, count(DISTINCT customer_id)::INTEGER AS customers,
           CAST(min(date) AS VARCHAR) AS first, CAST(max(date) AS VARCHAR) AS last
    FROM cancellations`,
};

/** Customers with no transaction, subscription, interaction or survey at all. */
const NO_ACTIVITY_SQL = `
  SELECT count(*)::INTEGER AS n FROM customers c
  WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.customer_id = c.customer_id)
    AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.customer_id)
    AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.customer_id = c.customer_id)
    AND NOT EXISTS (SELECT 1 FROM surveys v WHERE v.customer_id = c.customer_id)`;

const MONTHLY_ROWS_SQL = `
  SELECT strftime(date, '%Y-%m') AS month, 'transactions' AS source, count(*)::INTEGER AS rows
  FROM transactions GROUP BY ALL
  UNION ALL SELECT strftime(date, '%Y-%m'), 'interactions', count(*)::INTEGER FROM interactions GROUP BY ALL
  UNION ALL SELECT strftime(date, '%Y-%m'), 'surveys', count(*)::INTEGER FROM surveys GROUP BY ALL
  UNION ALL SELECT strftime(start_date, '%Y-%m'), 'subscriptions started', count(*)::INTEGER
  FROM subscriptions GROUP BY ALL
  UNION ALL SELECT strftime(date, '%Y-%m'), 'cancellations', count(*)::INTEGER FROM cancellations GROUP BY ALL
  ORDER BY 1, 2`;

await withWarehouse(async (db, meta) => {
  const ranges = [];
  // A warehouse ingested before cancellations existed has no such table.
  for (const source of SOURCE_NAMES)
    if (await tableExists(db.connection, source)) ranges.push(...(await query(db.connection, RANGE_SQL[source]!)));
  const [noActivity] = await query<{ n: number }>(db.connection, NO_ACTIVITY_SQL);
  return {
    available: true,
    asOf: meta["as_of"],
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    loads: meta["ingested_sources"] ?? [],
    // What the load decided and why: formats read from the exports' values, mostly-rejected warnings, the as-of date.
    notes: [
      ...((meta["load_notes"] as string[] | undefined) ?? []),
      ...((meta["ingested_sources"] as { notes?: string[] }[] | undefined) ?? []).flatMap((l) => l.notes ?? []),
    ],
    missingSources: meta["missing_sources"] ?? [],
    derivedCustomers: meta["derived_customers"] ?? false,
    orphanIds: meta["orphan_ids"] ?? {},
    reasons: await query(db.connection, REASONS_SQL),
    examples: await query(db.connection, EXAMPLES_SQL),
    ranges,
    customersWithNoActivity: noActivity?.n ?? 0,
    monthlyRows: await query(db.connection, MONTHLY_ROWS_SQL),
  };
});
