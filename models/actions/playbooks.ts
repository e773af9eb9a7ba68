/**
 * Playbooks: one recommended action per customer from quadrant × value tier × risk × symptoms, evaluated in this
 * order (the first rule that matches wins):
 *  1. already churned and worth it (CLV if won back ≥ winBackMinClv)            → win-back
 *  2. already churned, not worth it                                              → let go
 *  3. at risk (p ≥ mediumRisk or band red) and unprofitable (CLV < letGoMaxClv)  → let go (profitable attrition)
 *  4. the key contact left                                                        → move-and-follow
 *  5. high risk (p ≥ highRisk or band red), by quadrant: true friends → save offer; butterflies → personal advisor;
 *     barnacles → cheaper channel or upsell; strangers → proactive call. A customer of a value tier listed in
 *     escalateTiers (default: the high tier) at medium risk is treated as high risk: the most valuable customers are
 *     worth the stronger action at the first warning (the method's value-based campaigns).
 *  6. medium risk (p ≥ mediumRisk or band yellow): true friends → loyalty reward; barnacles → cheaper channel/upsell;
 *     others → proactive call
 *  7. low risk: true friends → loyalty reward; otherwise → no action (healthy)
 * A save offer's budget is saveOfferShareOfClv × CLV; the offer is the most generous pre-agreed one that fits.
 * Without a churn model (rules mode, churnProbability = null) risk is the health band alone, which comes from the
 * symptoms; the quadrant, tier and CLV then pick the action as above (the tier also sets the proactive cadence:
 * plan.ts).
 */
import type { HealthBand } from "./health.ts";
import type { Offers, Rules } from "./rules-config.ts";

export const ACTIONS = [
  "win-back",
  "let go",
  "move-and-follow",
  "save offer",
  "personal advisor",
  "cheaper channel or upsell",
  "proactive call",
  "loyalty reward",
  "no action (healthy)",
] as const;
export type Action = (typeof ACTIONS)[number];

export interface PlaybookInput {
  churned: boolean;
  /** The model's probability; null in rules mode (risk then comes from the band alone). */
  churnProbability: number | null;
  clv: number;
  clvIfWonBack: number | null;
  quadrant: string | null;
  /** Value tier (high / mid / low); null when the customer could not be valued. */
  tier: string | null;
  band: HealthBand;
  symptoms: string[];
  /** Monthly value for pricing offers: MRR, or CLV / 12 for one-off buyers. */
  monthlyValue: number;
}

export interface PlaybookDecision {
  action: Action;
  rule: number;
  offer: string | null;
  offerBudget: number | null;
}

export function pickOffer(
  budget: number,
  monthlyValue: number,
  offers: Offers,
): { label: string; cost: number } | null {
  let best: { label: string; cost: number } | null = null;
  for (const o of offers.offers) {
    const cost = "fixed" in o ? o.fixed : o.monthsOfValue * monthlyValue;
    if (cost <= budget && (!best || cost > best.cost)) best = { label: o.label, cost };
  }
  return best;
}

export function decide(c: PlaybookInput, rules: Rules, offers: Offers): PlaybookDecision {
  const pb = rules.playbook;
  const none = { offer: null, offerBudget: null };
  if (c.churned)
    return (c.clvIfWonBack ?? 0) >= pb.winBackMinClv
      ? { action: "win-back", rule: 1, ...none }
      : { action: "let go", rule: 2, ...none };
  const p = c.churnProbability ?? -1;
  const medium = p >= pb.mediumRisk || c.band === "yellow";
  const escalated = medium && c.tier !== null && (pb.escalateTiers as string[]).includes(c.tier);
  const high = p >= pb.highRisk || c.band === "red" || escalated;
  if ((high || medium) && c.clv < pb.letGoMaxClv) return { action: "let go", rule: 3, ...none };
  if (c.symptoms.includes("contact_left")) return { action: "move-and-follow", rule: 4, ...none };
  if (high) {
    if (c.quadrant === "true friends") {
      const budget = pb.saveOfferShareOfClv * c.clv;
      const offer = pickOffer(budget, c.monthlyValue, offers);
      return { action: "save offer", rule: 5, offer: offer?.label ?? null, offerBudget: budget };
    }
    if (c.quadrant === "butterflies") return { action: "personal advisor", rule: 5, ...none };
    if (c.quadrant === "barnacles") return { action: "cheaper channel or upsell", rule: 5, ...none };
    return { action: "proactive call", rule: 5, ...none };
  }
  if (medium) {
    if (c.quadrant === "true friends") return { action: "loyalty reward", rule: 6, ...none };
    if (c.quadrant === "barnacles") return { action: "cheaper channel or upsell", rule: 6, ...none };
    return { action: "proactive call", rule: 6, ...none };
  }
  return c.quadrant === "true friends"
    ? { action: "loyalty reward", rule: 7, ...none }
    : { action: "no action (healthy)", rule: 7, ...none };
}
