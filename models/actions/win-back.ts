/**
 * Win-back by reason: a small rule step after the playbooks (playbooks.ts rules 1–2 decide win-back or let go for
 * recently churned customers). For each of them, the latest reason they gave since their last subscription started
 * (models/reasons/events.ts) picks the first rule of data/rules/win-back.json whose groups contain the reason's
 * group: price/budget → a pre-agreed price offer, features → tell them when it ships, competitor → a switching
 * offer, support/quality → a service-recovery call by a senior person, moved/closed/no longer needed →
 * move-and-follow. A rule applies to customers worth winning back (the playbook said win-back) unless it says
 * evenIfNotWorthWinningBack. Offer budget (the value bound) = offerShareOfClv × CLV if won back; the offer is the
 * most generous of the rule's offers whose cost fits (pickOffer). The reason is added to the row's top_drivers.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadRulesFile } from "../../loaders/rules-file.ts";
import { query, run } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { buildReasonEvents } from "../reasons/events.ts";
import { loadReasonRules, type ReasonRules } from "../reasons/rules.ts";
import { pickOffer } from "./playbooks.ts";
import { loadOffers, type Offers } from "./rules-config.ts";

export const WinBackRulesSchema = z.strictObject({
  description: z.string().optional(),
  offerShareOfClv: z.number().min(0).max(1),
  rules: z.array(
    z.strictObject({
      groups: z.array(z.string().min(1)).min(1),
      action: z.string().min(1),
      offers: z.array(z.string().min(1)).optional(),
      evenIfNotWorthWinningBack: z.boolean().optional(),
    }),
  ),
});
export type WinBackRules = z.infer<typeof WinBackRulesSchema>;

const RULES_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "data", "rules", "win-back.json");

/** data/rules/win-back.json, validated; every offer id must exist in the offers file. */
export function loadWinBackRules(path = RULES_PATH, offers: Offers = loadOffers()): WinBackRules {
  const rules = loadRulesFile(path, WinBackRulesSchema, {
    what: "Win-back rules",
    hint: "See README, 'Win-back by reason', for the keys.",
  });
  const known = new Set(offers.offers.map((o) => o.id));
  rules.rules.forEach((r, i) => {
    const unknown = (r.offers ?? []).find((id) => !known.has(id));
    if (unknown)
      throw new UserError(`${path}: at rules.${i}.offers: no offer "${unknown}" in the offers file.`, {
        hint: `Offers defined there: ${[...known].join(", ")}.`,
      });
  });
  return rules;
}

export interface WinBackInput {
  /** The reason group (reasons.json), or null for no reason or an unclassified one. */
  group: string | null;
  /** The playbook's verdict: win-back (worth it) rather than let go. */
  worthWinningBack: boolean;
  clvIfWonBack: number;
  /** For offers priced in months of value: the MRR lost, or CLV if won back ÷ 12 for one-off buyers. */
  monthlyValue: number;
}

export interface WinBackDecision {
  action: string;
  offer: string | null;
  offerBudget: number | null;
}

/** The action for one recently churned customer, or null when no rule applies (the playbook's action stays). */
export function winBackByReason(c: WinBackInput, rules: WinBackRules, offers: Offers): WinBackDecision | null {
  if (c.group === null) return null;
  const rule = rules.rules.find((r) => r.groups.includes(c.group!));
  if (!rule || !(c.worthWinningBack || rule.evenIfNotWorthWinningBack)) return null;
  if (!rule.offers) return { action: rule.action, offer: null, offerBudget: null };
  const budget = rules.offerShareOfClv * Math.max(0, c.clvIfWonBack);
  const allowed = { offers: offers.offers.filter((o) => rule.offers!.includes(o.id)) };
  const offer = pickOffer(budget, c.monthlyValue, allowed);
  return { action: rule.action, offer: offer?.label ?? null, offerBudget: budget };
}

/** Each listed churned customer's latest reason since their last subscription start (ties: by reason). */
const LATEST_REASON_SQL = `
  SELECT s.customer_id, s.recommended_action AS action, coalesce(s.clv, 0) AS clv, e.reason, e.category,
         e.reason_group AS "group", e.note, e.lost_mrr
  FROM scored_customers s
  JOIN (
    SELECT * FROM winback_reasons e
    WHERE e.date >= coalesce((SELECT max(start_date) FROM subscriptions x
                              WHERE x.customer_id = e.customer_id AND x.start_date <= $as_of), DATE '0001-01-01')
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY date DESC, reason) = 1
  ) e USING (customer_id)
  WHERE s.status LIKE 'churned%' AND s.recommended_action IN ('win-back', 'let go')
  ORDER BY s.customer_id`;

const APPLY_SQL = `
  UPDATE scored_customers s SET
    recommended_action = CASE WHEN d.changed THEN d.action ELSE s.recommended_action END,
    offer = CASE WHEN d.changed THEN d.offer ELSE s.offer END,
    offer_budget = CASE WHEN d.changed THEN d.budget ELSE s.offer_budget END,
    top_drivers = concat_ws('; ', nullif(s.top_drivers, ''), d.said)
  FROM (SELECT unnest(from_json($decisions::JSON, '[{"id": "VARCHAR", "changed": "BOOLEAN", "action": "VARCHAR",
        "offer": "VARCHAR", "budget": "DOUBLE", "said": "VARCHAR"}]'), recursive := true)) d
  WHERE s.customer_id = d.id AND s.status LIKE 'churned%'`;

/** Apply win-back by reason to scored_customers (every listed reason is shown); returns how many actions changed. */
export async function applyWinBackByReason(
  conn: DuckDBConnection,
  asOf: string,
  rules: WinBackRules = loadWinBackRules(),
  reasonRules: ReasonRules = loadReasonRules(),
  offers: Offers = loadOffers(),
): Promise<number> {
  await buildReasonEvents(conn, asOf, reasonRules, { table: "winback_reasons", temp: true });
  const rows = await query<{
    customer_id: string;
    action: string;
    clv: number;
    reason: string;
    category: string;
    group: string | null;
    note: string | null;
    lost_mrr: number;
  }>(conn, LATEST_REASON_SQL, { as_of: asOf });
  await run(conn, "DROP TABLE winback_reasons");
  const decisions = rows.map((r) => {
    const monthlyValue = r.lost_mrr > 0 ? r.lost_mrr : r.clv / 12;
    const d = winBackByReason(
      { group: r.group, worthWinningBack: r.action === "win-back", clvIfWonBack: r.clv, monthlyValue },
      rules,
      offers,
    );
    const said = `reason: ${r.reason} (${r.category})${r.note ? `, "${r.note}"` : ""}`;
    return { id: r.customer_id, changed: d !== null, action: d?.action, offer: d?.offer, budget: d?.offerBudget, said };
  });
  if (decisions.length) await run(conn, APPLY_SQL, { decisions: JSON.stringify(decisions) });
  return decisions.filter((d) => d.changed).length;
}
