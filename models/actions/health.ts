/**
 * Health score 0–100 (higher is healthier), combining the forest's churn probability p and the symptoms:
 *   health = round(100 × (1 − p) × Π_{fired recapitulative s} (1 − weight_s)), capped at `criticalCap` when any
 *   critical symptom fired. Bands: green ≥ `green`, yellow ≥ `yellow`, red below (defaults 70 / 40, cap 30,
 *   in data/rules/symptoms.json).
 * Without a churn model (rules mode, p = null) the (1 − p) factor is left out: health comes from the symptoms alone,
 *   health = round(100 × Π (1 − weight_s)), with the same cap and bands.
 */
import type { Rules } from "./rules-config.ts";

export type HealthBand = "green" | "yellow" | "red";

export function healthScore(
  churnProbability: number | null,
  recapitulativeWeights: number[],
  anyCritical: boolean,
  health: Rules["health"],
): number {
  let score = churnProbability === null ? 100 : 100 * (1 - Math.min(1, Math.max(0, churnProbability)));
  for (const w of recapitulativeWeights) score *= 1 - w;
  if (anyCritical) score = Math.min(score, health.criticalCap);
  return Math.round(score);
}

export function healthBand(score: number, health: Rules["health"]): HealthBand {
  return score >= health.green ? "green" : score >= health.yellow ? "yellow" : "red";
}
