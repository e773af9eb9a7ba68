/**
 * The proactive plan (regular, value-based campaigns; the reactive ones are the playbooks): the next touch of every
 * active customer who has no open reactive action, from data/rules/plan.json.
 *   what:    the welcome touch when the customer's first day is within welcome.withinDays of the as-of date; else the
 *            first entry of `touches` whose conditions hold (no survey answered within noSurveyWithinDays; the touch
 *            falls on the customer's anniversary month; quadrant; tier), the last entry being unconditional.
 *   when:    welcome: max(as-of + 1 day, first day + afterDays). Otherwise the first date after the as-of date on the
 *            customer's own cadence, first day + k × everyMonths months (k ≥ 1, same day of the month, clamped to the
 *            month's end), everyMonths by value tier (a customer without a tier follows the low tier). Anchoring on the
 *            customer's first day spreads each team's work evenly over the cadence.
 *   channel: the welcome's or tier's fixed channel when set; else the channel the customer used most in their
 *            interactions up to the as-of date (ties: the most recent, then alphabetical); else the segment's default;
 *            else channels.default.
 *   team:    welcome.team for the welcome touch, else the tier's team.
 * "Open reactive action": at risk (churn probability ≥ mediumRisk, or a yellow or red health band) with an action
 * other than "let go" — the playbook already has a task for them, so the plan does not add one.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { addDays, daysBetween } from "../../loaders/dates.ts";
import { queryNumberColumns } from "../../loaders/db.ts";
import type { PlanRules } from "./plan-rules.ts";

export interface PlanInput {
  /** The customer's first day: the earliest of signup, first subscription start and first purchase. */
  start: string;
  tier: "high" | "mid" | "low" | null;
  quadrant: string | null;
  segment: string | null;
  /** The channel used most in the customer's interactions; null when they have none. */
  usualChannel: string | null;
  lastSurvey: string | null;
}

export interface ProactiveTouch {
  touch: string;
  date: string;
  channel: string;
  team: string;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * The first date start + k × months (k ≥ 1) strictly after asOf, each step as addMonths does it (same day of the month,
 * clamped to the month's end). In calendar integers rather than through Date objects and ISO strings: it runs once per
 * active customer, and at a million customers the string round trips cost seconds.
 */
export function nextCadenceDate(start: string, asOf: string, months: number): string {
  const y = Number(start.slice(0, 4));
  const m = Number(start.slice(5, 7)) - 1;
  const d = Number(start.slice(8, 10));
  const limit = Number(asOf.slice(0, 4)) * 10_000 + Number(asOf.slice(5, 7)) * 100 + Number(asOf.slice(8, 10));
  // start + n months as YYYYMMDD.
  const after = (n: number) => {
    const total = m + n;
    const year = y + Math.floor(total / 12);
    const month = total - 12 * Math.floor(total / 12);
    const last = month === 1 && isLeap(year) ? 29 : MONTH_DAYS[month]!;
    return year * 10_000 + (month + 1) * 100 + Math.min(d, last);
  };
  const monthIndex = (iso: string) => Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7));
  let k = Math.max(1, Math.floor((monthIndex(asOf) - monthIndex(start)) / months) - 1);
  while (after(k * months) <= limit) k++;
  const v = after(k * months);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${String(Math.floor(v / 10_000)).padStart(4, "0")}-${pad(Math.floor(v / 100) % 100)}-${pad(v % 100)}`;
}

/** The playbook already has a task for the customer: at risk by the model or the band, and not let go. */
export function hasOpenReactiveAction(
  churnProbability: number | null,
  band: "green" | "yellow" | "red",
  action: string,
  mediumRisk: number,
): boolean {
  return ((churnProbability ?? -1) >= mediumRisk || band !== "green") && action !== "let go";
}

export function chooseChannel(c: PlanInput, fixed: string | undefined, rules: PlanRules): string {
  const bySegment = c.segment === null ? undefined : rules.channels.bySegment[c.segment];
  return fixed ?? c.usualChannel ?? bySegment ?? rules.channels.default;
}

export function nextTouch(c: PlanInput, asOf: string, rules: PlanRules): ProactiveTouch {
  const w = rules.welcome;
  if (daysBetween(c.start, asOf) < w.withinDays) {
    const earliest = addDays(asOf, 1);
    const planned = addDays(c.start, w.afterDays);
    return {
      touch: w.touch,
      date: [earliest, planned].sort()[1]!,
      channel: chooseChannel(c, w.channel, rules),
      team: w.team,
    };
  }
  const cadence = rules.cadence[c.tier ?? "low"];
  const date = nextCadenceDate(c.start, asOf, cadence.everyMonths);
  const touch = rules.touches.find(
    (t) =>
      (t.noSurveyWithinDays === undefined ||
        c.lastSurvey === null ||
        daysBetween(c.lastSurvey, asOf) >= t.noSurveyWithinDays) &&
      (t.anniversary === undefined || date.slice(5, 7) === c.start.slice(5, 7)) &&
      (t.quadrants === undefined || (c.quadrant !== null && t.quadrants.includes(c.quadrant))) &&
      (t.tiers === undefined || t.tiers.includes(c.tier ?? "low")),
  )!;
  return {
    touch: touch.touch,
    date,
    channel: chooseChannel(c, cadence.channel, rules),
    team: cadence.team,
  };
}

/**
 * Per customer of the temp table `candidates`: first day, most-used channel (trimmed, lower case), last survey. The
 * scoring joins it into each candidate's details (actions/analyze.ts), so the facts arrive with the rest of a
 * candidate's inputs, in its order (bind $as_of).
 */
export const PLAN_FACTS_SQL = `
  WITH firsts AS (
    SELECT customer_id, min(d) AS first_day FROM (
      SELECT customer_id, signup_date AS d FROM customers WHERE signup_date <= $as_of
      UNION ALL SELECT customer_id, start_date FROM subscriptions WHERE start_date <= $as_of
      UNION ALL SELECT customer_id, date FROM transactions WHERE date <= $as_of AND amount > 0
    ) GROUP BY customer_id
  ), channels AS (
    SELECT customer_id, channel FROM (
      SELECT customer_id, channel,
             row_number() OVER (PARTITION BY customer_id ORDER BY n DESC, last DESC, channel) AS k
      FROM (SELECT customer_id, lower(trim(channel)) AS channel, count(*) AS n, max(date) AS last FROM interactions
            WHERE date <= $as_of AND nullif(trim(channel), '') IS NOT NULL GROUP BY customer_id, lower(trim(channel)))
    ) WHERE k = 1
  ), surveys_last AS (SELECT customer_id, max(date) AS last FROM surveys WHERE date <= $as_of GROUP BY customer_id)
  SELECT k.customer_id, CAST(coalesce(f.first_day, $as_of::DATE) AS VARCHAR) AS start, ch.channel AS usual_channel,
         CAST(s.last AS VARCHAR) AS last_survey
  FROM (SELECT DISTINCT customer_id FROM candidates) k
  LEFT JOIN firsts f USING (customer_id) LEFT JOIN channels ch USING (customer_id)
  LEFT JOIN surveys_last s USING (customer_id)`;

export type PlanFacts = Pick<PlanInput, "start" | "usualChannel" | "lastSurvey">;

/** The plan facts of every candidate by customer id (PLAN_FACTS_SQL read on its own). */
export async function planFacts(conn: DuckDBConnection, asOf: string): Promise<Map<string, PlanFacts>> {
  const c = await queryNumberColumns(conn, PLAN_FACTS_SQL, { as_of: asOf });
  const ids = c["customer_id"] as string[];
  const start = c["start"] as string[];
  const channel = c["usual_channel"] as (string | null)[];
  const lastSurvey = c["last_survey"] as (string | null)[];
  const facts = new Map<string, PlanFacts>();
  for (let i = 0; i < ids.length; i++)
    facts.set(ids[i]!, { start: start[i]!, usualChannel: channel[i] ?? null, lastSurvey: lastSurvey[i] ?? null });
  return facts;
}
