/**
 * Reinartz & Kumar's loyalty-profitability matrix ("The Mismanagement of Customer Loyalty", HBR 2002) and value tiers.
 * Profitability = CLV; loyalty = expected months as a customer in the coming horizon. Split at thresholds (medians by
 * default): high value + high loyalty = true friends, high value + low loyalty = butterflies, low value + high loyalty
 * = barnacles, low value + low loyalty = strangers. Tiers by CLV rank: high = top 20%, mid = next 30%, low = rest.
 */
export type Quadrant = "true friends" | "butterflies" | "barnacles" | "strangers";

export const QUADRANT_STRATEGY: Record<Quadrant, string> = {
  "true friends": "Profitable and loyal: reward them and keep in close contact; protect these relationships first.",
  butterflies: "Profitable but passing through: harvest value while they are here; do not overspend to keep them.",
  barnacles:
    "Loyal but not profitable: check their share of wallet; upsell where there is room, otherwise serve through cheaper channels.",
  strangers: "Neither profitable nor loyal: no special investment; serve efficiently.",
};

export function quadrantOf(value: number, loyalty: number, valueThreshold: number, loyaltyThreshold: number): Quadrant {
  const highValue = value > valueThreshold;
  const highLoyalty = loyalty > loyaltyThreshold;
  return highValue ? (highLoyalty ? "true friends" : "butterflies") : highLoyalty ? "barnacles" : "strangers";
}

/** Tier of each value: 'high' for the top `high` share, 'mid' for the next `mid` share, else 'low'. Ties keep rank order. */
export function valueTiers(values: ArrayLike<number>, high = 0.2, mid = 0.3): ("high" | "mid" | "low")[] {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const tiers = new Array<"high" | "mid" | "low">(values.length).fill("low");
  const nHigh = Math.round(high * values.length);
  const nMid = Math.round((high + mid) * values.length);
  order.forEach((i, rank) => (tiers[i] = rank < nHigh ? "high" : rank < nMid ? "mid" : "low"));
  return tiers;
}
