/**
 * Reinartz & Kumar's loyalty-profitability matrix ("The Mismanagement of Customer Loyalty", HBR 2002) and value tiers.
 * Profitability = CLV; loyalty = expected months as a customer in the coming horizon. Split at thresholds (medians by
 * default): high value + high loyalty = true friends, high value + low loyalty = butterflies, low value + high loyalty
 * = barnacles, low value + low loyalty = strangers. Tiers by CLV rank: high = top 20%, mid = next 30%, low = rest.
 */
import { median as ssMedian } from "simple-statistics";

/** The median (simple-statistics), 0 for no values: a threshold over nobody places nobody. */
const median = (values: number[]) => (values.length ? ssMedian(values) : 0);
import type { ValueSettings } from "./settings.ts";

export type Quadrant = "true friends" | "butterflies" | "barnacles" | "strangers";
export type Tier = "high" | "mid" | "low";

export const QUADRANT_STRATEGY: Record<Quadrant, string> = {
  "true friends": "Profitable and loyal: reward them and keep in close contact; protect these relationships first.",
  butterflies: "Profitable but passing through: harvest value while they are here; do not overspend to keep them.",
  barnacles:
    "Loyal but not profitable: check their share of wallet; upsell where there is room, " +
    "otherwise serve through cheaper channels.",
  strangers: "Neither profitable nor loyal: no special investment; serve efficiently.",
};

export function quadrantOf(value: number, loyalty: number, valueThreshold: number, loyaltyThreshold: number): Quadrant {
  const highValue = value > valueThreshold;
  const highLoyalty = loyalty > loyaltyThreshold;
  return highValue ? (highLoyalty ? "true friends" : "butterflies") : highLoyalty ? "barnacles" : "strangers";
}

/**
 * Tier of each value: 'high' for the top `high` share, 'mid' for the next `mid` share, else 'low'. Ties keep rank
 * order.
 */
export function valueTiers(values: ArrayLike<number>, high = 0.2, mid = 0.3): Tier[] {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const tiers = new Array<Tier>(values.length).fill("low");
  const nHigh = Math.round(high * values.length);
  const nMid = Math.round((high + mid) * values.length);
  order.forEach((i, rank) => (tiers[i] = rank < nHigh ? "high" : rank < nMid ? "mid" : "low"));
  return tiers;
}

export interface Segmented {
  /** Per row: the quadrant of an active customer, null for the others. */
  quadrants: (Quadrant | null)[];
  /** Per row: the value tier among active customers, null for the others. */
  tiers: (Tier | null)[];
  thresholds: { value: number; loyaltyMonths: number; rule: string };
}

/**
 * Quadrant and tier of every customer, the one rule `churn build` (customer_value) and `churn clv --out` share: only
 * customers with a value who are active on the valuation date (models/cohorts/active.ts: subscribers covered by a
 * subscription, one-off buyers with a purchase in the last W days) are placed; the "median" thresholds and the tier
 * shares are taken over them alone.
 */
export function segmentCustomers(
  rows: readonly { clv: number | null; loyalty: number; active: boolean }[],
  settings: Pick<ValueSettings, "valueThreshold" | "loyaltyThreshold" | "tierHigh" | "tierMid">,
): Segmented {
  // Active customers with a computable value (a null CLV, a BG/NBD overflow, is placed nowhere).
  const active = rows.flatMap((r, i) => (r.active && r.clv !== null ? [i] : []));
  const clv = (i: number) => rows[i]!.clv!;
  const valueThreshold = settings.valueThreshold === "median" ? median(active.map(clv)) : settings.valueThreshold;
  const loyaltyThreshold =
    settings.loyaltyThreshold === "median" ? median(active.map((i) => rows[i]!.loyalty)) : settings.loyaltyThreshold;
  const activeTiers = valueTiers(active.map(clv), settings.tierHigh, settings.tierMid);
  const quadrants = new Array<Quadrant | null>(rows.length).fill(null);
  const tiers = new Array<Tier | null>(rows.length).fill(null);
  active.forEach((i, k) => (tiers[i] = activeTiers[k]!));
  const rule = (setting: ValueSettings["valueThreshold"]) =>
    setting === "median" ? "median over active customers" : "set in data/rules/value.json";
  for (const i of active) quadrants[i] = quadrantOf(clv(i), rows[i]!.loyalty, valueThreshold, loyaltyThreshold);
  return {
    quadrants,
    tiers,
    thresholds: {
      value: valueThreshold,
      loyaltyMonths: loyaltyThreshold,
      rule: `value: ${rule(settings.valueThreshold)}; loyalty: ${rule(settings.loyaltyThreshold)}`,
    },
  };
}
