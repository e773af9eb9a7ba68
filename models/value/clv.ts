/**
 * Customer lifetime value as the discounted expected margin over a horizon.
 *
 * Buyers (BG/NBD + Gamma-Gamma): the horizon is split into `steps` of `periodsPerStep` model periods each;
 *   CLV = Σ_{s=1..steps} margin · E[spend] · (E[Y(s·k) | x, t_x, T] − E[Y((s−1)·k) | x, t_x, T]) / (1 + d)^s
 * with k = periodsPerStep and d the discount rate per step. This is lifetimes' customer_lifetime_value with
 * time = steps, freq factor = k and discount_rate = d; our default is monthly steps (k = 30.4375 / 7 weeks when the
 * model is fitted in weeks), 12 steps, d = 1% per month, margin = 1 (revenue).
 *
 * Subscribers (Kaplan-Meier of tenure): with tenure τ months and MRR now,
 *   CLV = Σ_{m=1..steps} margin · MRR · S(τ + m) / S(τ) / (1 + d)^m,
 * the expected discounted MRR of the months the customer is still subscribed, conditional on having lasted τ.
 */
import { conditionalPurchasesAt, type BgNbdParams } from "./bgnbd.ts";

export interface ClvOptions {
  steps: number;
  periodsPerStep: number;
  discountPerStep: number;
  margin: number;
}

export function buyerClv(
  bg: BgNbdParams,
  expectedSpend: number,
  x: number,
  tx: number,
  T: number,
  o: ClvOptions,
): number {
  return clvOfCumulative(conditionalPurchasesAt(bg, clvHorizons(o))(x, tx, T), expectedSpend, o);
}

/** The horizons s · periodsPerStep, s = 1…steps, at which buyerClv needs E[Y(t) | x, t_x, T]. */
export function clvHorizons(o: ClvOptions): number[] {
  return Array.from({ length: o.steps }, (_, i) => (i + 1) * o.periodsPerStep);
}

/**
 * buyerClv from the expected cumulative purchases at clvHorizons(o) (conditionalPurchasesAt, which valuing many
 * buyers at once shares between them).
 */
export function clvOfCumulative(cumulative: ArrayLike<number>, expectedSpend: number, o: ClvOptions): number {
  let clv = 0;
  let previous = 0;
  for (let s = 1; s <= o.steps; s++) {
    const c = cumulative[s - 1]!;
    clv += (o.margin * expectedSpend * (c - previous)) / (1 + o.discountPerStep) ** s;
    previous = c;
  }
  // NaN, never 0, when an expectation overflows: callers count such customers as "not computable".
  return clv;
}

/** Expected months subscribed in the horizon and the discounted value, from a survival function S(months). */
export function subscriberClv(
  survival: (months: number) => number,
  tenureMonths: number,
  mrr: number,
  o: Omit<ClvOptions, "periodsPerStep">,
): { clv: number; expectedMonths: number } {
  const now = survival(tenureMonths);
  if (!(now > 0)) return { clv: 0, expectedMonths: 0 };
  let clv = 0;
  let months = 0;
  for (let m = 1; m <= o.steps; m++) {
    const stay = survival(tenureMonths + m) / now;
    months += stay;
    clv += (o.margin * mrr * stay) / (1 + o.discountPerStep) ** m;
  }
  return { clv, expectedMonths: months };
}
