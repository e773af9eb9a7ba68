/**
 * Buyers who pay at a regular cycle: the buyers' forecast draws purchase times from BG/NBD, a Poisson process while a
 * customer is alive, which spreads the gaps between purchases far more than a monthly invoice does, so it counts too
 * few of such buyers active at each month's end (the bundled sample without its subscriptions export, whose
 * subscribers' invoices then read as purchases: the backtest missed by 18.7%, a flat forecast by 8.5%). These buyers
 * are forecast as renewals at their own cycle instead (renewals.ts).
 *
 * Regular: at least MIN_GAPS gaps between purchase days whose median absolute deviation is at most MAX_SPREAD of
 * their median, or a day from a weekly cycle up (a skipped month or an extra purchase does not break the rhythm; a
 * Poisson buyer's gaps deviate by about 70% of their median). Cycle = the median gap; renewals made = the days from
 * the first purchase to the last over the cycle, rounded (at least MIN_GAPS); stopped = no purchase for a cycle plus
 * the usual lateness (the 95th percentile of |gap − cycle| ÷ cycle over the regular buyers' gaps, skipped cycles
 * aside) plus a day: overdue regular buyers almost never came back (generated invoices: 92 forecast active, 7 were).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query } from "../../loaders/db.ts";
import { buyerDaysUpTo } from "../value/buyer-days.ts";
import type { RenewalHistory } from "./renewals.ts";

/** The renewals a regular buyer has surely made: the renewal model is fitted conditionally on them. */
export const MIN_GAPS = 4;
/**
 * Young regular buyers: 2 or 3 gaps so far, as regular as the established. They are forecast as renewals too (the
 * model extrapolated below the renewals it was fitted from), since an invoices-only export's new subscribers are
 * most of its young buyers; about one Poisson buyer in ten with two gaps passes the test by chance. (Counting a single
 * gap that matches the usual cycle too was tried: every invoices-only backtest got worse, the quarterly one 6.3% →
 * 11.8%.)
 */
const YOUNG_GAPS = 2;
const MAX_SPREAD = 0.1;
/** A gap this many cycles long or more is a skipped renewal, not lateness. */
const SKIP_CYCLES = 1.5;
/** Share of active buyers from which the forecast says so. */
const NOTE_SHARE = 0.2;

export type RegularBuyer = {
  id: string;
  /** Days between purchases (the median gap). */
  cycle: number;
  /** Renewals made (purchases after the first, skipped cycles counted). */
  renewed: number;
  /** Days since the last purchase. */
  since: number;
  /** Gaps between purchase days (MIN_GAPS or more: established; fewer: young, not used to fit the model). */
  gaps: number;
  /** Days without a purchase after which the buyer has stopped renewing: a cycle and the usual lateness, plus a day. */
  lapseAfter: number;
};

const REGULAR_SQL = (days: string) => `
  WITH d AS (${days}),
  gaps AS (
    SELECT customer_id, date, (date - lag(date) OVER (PARTITION BY customer_id ORDER BY date))::DOUBLE AS gap FROM d
  ),
  per AS (
    SELECT customer_id, count(gap) AS n, median(gap) AS cycle, mad(gap) AS spread,
           (max(date) - min(date))::DOUBLE AS span, ($as_of::DATE - max(date))::INTEGER AS since
    FROM gaps GROUP BY customer_id
  ),
  steady AS (
    SELECT * FROM per
    WHERE cycle > 0 AND spread <= greatest($max_spread * cycle, CASE WHEN cycle >= 7 THEN 1 ELSE 0 END)
  ),
  jitter AS (
    SELECT coalesce(quantile_cont(abs(g.gap - s.cycle) / s.cycle, 0.95), 0) AS late
    FROM gaps g JOIN steady s USING (customer_id)
    WHERE s.n >= $min_gaps AND g.gap < $skip_cycles * s.cycle
  )
  SELECT customer_id AS id, s.cycle, greatest(round(span / s.cycle), least(n, $min_gaps))::INTEGER AS renewed, since,
         n::INTEGER AS gaps, s.cycle * (1 + j.late) + 1 AS "lapseAfter"
  FROM steady s, jitter j
  WHERE n >= $young_gaps
  ORDER BY customer_id`;

/** The buyers paying at a regular cycle as of `asOf`, with the data up to it. */
export async function regularBuyers(conn: DuckDBConnection, asOf: string): Promise<RegularBuyer[]> {
  return query<RegularBuyer>(conn, REGULAR_SQL(buyerDaysUpTo(conn, "as_of")), {
    as_of: asOf,
    min_gaps: MIN_GAPS,
    young_gaps: YOUNG_GAPS,
    max_spread: MAX_SPREAD,
    skip_cycles: SKIP_CYCLES,
  });
}

/** Is this regular buyer still renewing (a purchase within a cycle and the usual lateness)? */
export const stillRenewing = (b: RegularBuyer) => b.since <= b.lapseAfter;

/** Regular for MIN_GAPS gaps or more: the buyers the renewal model is fitted on. */
export const established = (b: RegularBuyer) => b.gaps >= MIN_GAPS;

/** The established regular buyers' renewal histories for the renewal model: by renewals made, lost or renewing. */
export function renewalHistories(buyers: RegularBuyer[]): RenewalHistory[] {
  const byRenewals = new Map<number, RenewalHistory>();
  for (const b of buyers.filter(established)) {
    let h = byRenewals.get(b.renewed);
    if (!h) byRenewals.set(b.renewed, (h = { renewed: b.renewed, lost: 0, running: 0 }));
    if (stillRenewing(b)) h.running++;
    else h.lost++;
  }
  return [...byRenewals.values()].sort((x, y) => x.renewed - y.renewed);
}

/**
 * A note when at least NOTE_SHARE of the active buyers (a purchase in the W days up to the as-of date) buy at
 * regular intervals, else null; `how` says how the forecast counts them.
 */
export function regularBuyersNote(buyers: RegularBuyer[], activeBuyers: number, windowDays: number, how: string) {
  const regular = buyers.filter((b) => established(b) && b.since < windowDays).length;
  if (activeBuyers === 0 || regular < NOTE_SHARE * activeBuyers) return null;
  const share = Math.round((100 * regular) / activeBuyers);
  const count = (n: number) => n.toLocaleString("en-US");
  return (
    `${count(regular)} of the ${count(activeBuyers)} active one-off buyers (${share}%) buy at regular intervals, ` +
    `like invoices of a subscription: ${how}; if they are subscribers, add the subscriptions export`
  );
}
