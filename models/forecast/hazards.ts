/**
 * Subscribers' churn as a piecewise-constant hazard over tenure (the piecewise exponential model; e.g. Friedman 1982):
 * in tenure band j (days [start_j, start_{j+1})) a spell ends at rate h_j per day. Estimated from recent experience:
 * h_j = (d_j + 0.5) / E_j, where d_j spells ended in band j and E_j customer-days were at risk in band j during the
 * last few months before the forecast date (the posterior mean under Jeffreys' prior: h_j ~ Gamma(d_j + 0.5, E_j),
 * which is also what the bands draw from). A band with under 30 customer-days of exposure takes the previous band's
 * hazard. Survival from tenure τ over the next t days: S = exp(−(H(τ + t) − H(τ))), H the cumulative hazard.
 */
import type { Random } from "../../loaders/random.ts";

/** Tenure bands (days) of the hazard: under a month, 1–3 months, 3–6, 6–12, 1–2 years, 2 years and more. */
export const TENURE_BANDS = [0, 30, 91, 182, 365, 730] as const;

export interface HazardBand {
  /** Tenure at which the band starts (days). */
  start: number;
  events: number;
  /** Customer-days at risk. */
  exposure: number;
}

export interface PiecewiseHazard {
  starts: number[];
  /** Per day. */
  rates: number[];
}

const MIN_EXPOSURE = 30;

/** The point estimate (posterior mean), or one draw from the Gamma posterior when `rng` is given. */
export function estimateHazard(bands: HazardBand[], rng?: Random): PiecewiseHazard {
  const rates: number[] = [];
  for (const [j, band] of bands.entries()) {
    if (band.exposure < MIN_EXPOSURE) {
      rates.push(j > 0 ? rates[j - 1]! : 0);
      continue;
    }
    rates.push(rng ? rng.gamma(band.events + 0.5, band.exposure) : (band.events + 0.5) / band.exposure);
  }
  // Leading bands with no exposure take the first estimated rate.
  const first = bands.findIndex((b) => b.exposure >= MIN_EXPOSURE);
  if (first > 0) for (let j = 0; j < first; j++) rates[j] = rates[first]!;
  return { starts: bands.map((b) => b.start), rates };
}

/** Cumulative hazard H(t) = ∫₀ᵗ h(u) du. */
export function cumulativeHazard(h: PiecewiseHazard, t: number): number {
  let sum = 0;
  for (let j = 0; j < h.starts.length; j++) {
    const lo = h.starts[j]!;
    if (t <= lo) break;
    const hi = j + 1 < h.starts.length ? h.starts[j + 1]! : Infinity;
    sum += h.rates[j]! * (Math.min(t, hi) - lo);
  }
  return sum;
}

/** P(still subscribed at tenure τ + t | subscribed at tenure τ). */
export function conditionalSurvival(h: PiecewiseHazard, tau: number, t: number): number {
  return Math.exp(-(cumulativeHazard(h, tau + t) - cumulativeHazard(h, tau)));
}
