/**
 * The analysis date when none is given: the last date of the data, unless that date lies far beyond the rest of it.
 * One mistyped year (2062 for 2026, 2199) among a business's dates made it the as-of date: every customer then looked
 * churned decades ago and the forecast started in that year, with nothing said. The rule: dates more than
 * BEYOND_DAYS after the 99th percentile of all the data's dates are beyond the data; the as-of date is the last date
 * that is not. A real export's last year holds far more than 1% of its dates, so it is never cut; the rows beyond stay
 * in the warehouse (the analyses read up to the as-of date) and the report names them. `--as-of` overrides the rule.
 * The percentile is computed only when the year before the last date holds under 1% of the dates (the same rule's
 * exact shortcut: otherwise the percentile is within that year and nothing lies beyond it).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { daysBetween } from "./dates.ts";
import { query, queryOne } from "./db.ts";

const BEYOND_DAYS = 366;
const SHARE = 0.01;

/**
 * The dated rows of the customers' activity (cancellations left out), labelled with their source: what the default
 * as-of date is chosen from whenever there are any. A customer export is often taken later than the others (the CRM
 * today, the billing export at the month's end): its later signups made the as-of date weeks after the last purchase,
 * and every buyer looked lapsed by that much (the sample with signups 60 days later: 2,050 customers scored instead of
 * 2,569, the last two months of the report empty of purchases).
 */
const ACTIVITY_DATES_SQL = `
  SELECT 'transactions' AS source, date AS d FROM transactions
  UNION ALL SELECT 'subscriptions', start_date FROM subscriptions
  UNION ALL SELECT 'interactions', date FROM interactions
  UNION ALL SELECT 'surveys', date FROM surveys`;
/** With the signups: the dates when there is no activity at all (a customer export alone). */
const ALL_DATES_SQL = `SELECT 'customers' AS source, signup_date AS d FROM customers UNION ALL ${ACTIVITY_DATES_SQL}`;

export interface DefaultAsOf {
  asOf: string;
  /** Why the as-of date is not the last date of the data, with the rows beyond it per source. */
  note?: string;
}

/**
 * The default as-of date (see above), from the activity's dates when there is activity, else from the signups; the
 * signups after it are counted in the note.
 */
export async function defaultAsOf(conn: DuckDBConnection): Promise<DefaultAsOf | null> {
  const activity = await queryOne<{ last: string | null }>(
    conn,
    `SELECT CAST(max(d) AS VARCHAR) AS last FROM (${ACTIVITY_DATES_SQL})`,
  );
  const dates = activity?.last ? ACTIVITY_DATES_SQL : ALL_DATES_SQL;
  const last =
    activity?.last ??
    (await queryOne<{ last: string | null }>(conn, `SELECT CAST(max(d) AS VARCHAR) AS last FROM (${dates})`))?.last;
  if (!last) return null;
  const chosen = await beforeMistypedDates(conn, dates, last);
  const later = activity?.last
    ? await queryOne<{ n: number; latest: string | null }>(
        conn,
        `SELECT count(*)::BIGINT AS n, CAST(max(signup_date) AS VARCHAR) AS latest FROM customers
         WHERE signup_date > $asOf::DATE`,
        { asOf: chosen.asOf },
      )
    : null;
  if (!later || Number(later.n) === 0) return chosen;
  const signups =
    `${later.n} customer${Number(later.n) === 1 ? "" : "s"} signed up after ${chosen.asOf} (latest ` +
    `${later.latest}), the last date of the purchases, subscriptions, interactions and surveys: the analyses run to ` +
    `${chosen.asOf} (the customer export may have been taken later than the others); give --as-of to choose the date.`;
  return { asOf: chosen.asOf, note: chosen.note ? `${chosen.note} ${signups}` : signups };
}

/** The last of `dates` unless it lies far beyond the rest of them (see above). */
async function beforeMistypedDates(conn: DuckDBConnection, dates: string, last: string): Promise<DefaultAsOf> {
  const recent = await queryOne<{ n: number; lastYear: number }>(
    conn,
    `SELECT count(*)::BIGINT AS n, count(*) FILTER (WHERE d > $last::DATE - $beyond::INTEGER)::BIGINT AS "lastYear"
     FROM (${dates}) WHERE d IS NOT NULL`,
    { last, beyond: BEYOND_DAYS },
  );
  if (!recent || recent.lastYear >= SHARE * recent.n) return { asOf: last };
  const cut = await queryOne<{ asOf: string | null; cut: string }>(
    conn,
    `WITH cut AS (
       SELECT quantile_disc(d, $q) + $beyond::INTEGER AS c
       FROM (${dates}) WHERE d IS NOT NULL
     )
     SELECT CAST(max(d) AS VARCHAR) AS "asOf", CAST(any_value(c) AS VARCHAR) AS cut
     FROM (${dates}), cut WHERE d <= c`,
    { q: 1 - SHARE, beyond: BEYOND_DAYS },
  );
  if (!cut?.asOf || cut.asOf === last) return { asOf: last };
  const beyond = await query<{ source: string; n: number; latest: string }>(
    conn,
    `SELECT source, count(*)::BIGINT AS n, CAST(max(d) AS VARCHAR) AS latest
     FROM (${dates}) WHERE d > $asOf::DATE GROUP BY source ORDER BY source`,
    { asOf: cut.asOf },
  );
  const rows = beyond.map((b) => `${b.n} in ${b.source} (latest ${b.latest})`).join(", ");
  return {
    asOf: cut.asOf,
    note:
      `as of ${cut.asOf}, not ${last}: rows dated more than a year after 99% of the data's dates are left out of ` +
      `the analyses as likely mistyped: ${rows}. They are loaded as written; give --as-of to choose the date.`,
  };
}

/** Days a given as-of date may lie past the data's last date before the report warns (a quarter). */
const LATE_AS_OF_DAYS = 92;

/** A warning when a given as-of date lies before the data or well after it (what the analyses will then show). */
export function asOfOutsideData(asOf: string, first: string, last: string): string[] {
  if (asOf < first)
    return [`warning: the as-of date ${asOf} is before the data's first date ${first}: there is nothing to analyse.`];
  const late = daysBetween(last, asOf);
  if (late > LATE_AS_OF_DAYS)
    return [
      `warning: the as-of date ${asOf} is ${late} days after the data's last date ${last}: with no activity ` +
        "since, every buyer looks lapsed and every open subscription still active: is the export complete, or the " +
        "date mistyped?",
    ];
  return [];
}
