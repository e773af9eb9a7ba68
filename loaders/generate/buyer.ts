/**
 * A one-off buyer following BG/NBD exactly (Fader, Hardie & Lee 2005), time in weeks: λ ~ Gamma(r, α), p ~ Beta(a, b);
 * the first purchase is on the signup day; afterwards purchases arrive as a Poisson process with rate λ, and after
 * each repeat purchase the buyer drops out with probability p. Spend per purchase follows Gamma-Gamma (Fader & Hardie
 * 2013): ν ~ Gamma(q, γ) per buyer, z ~ Gamma(p, ν) per purchase. Symptoms never change purchase timing (so the
 * model stays recoverable); they cluster around the dropout instead.
 */
import type { Random } from "../random.ts";
import type { CustomerEvents } from "./events.ts";
import { TRUE_PARAMETERS } from "./params.ts";

export interface Purchase {
  day: number;
  cents: number;
  order: number;
  /** Day of a full refund, or -1. */
  refundDay: number;
}

export interface BuyerHistory {
  purchases: Purchase[];
  /** Day of the purchase after which the buyer dropped out, or null when still alive at the end. */
  dropoutDay: number | null;
  drivers: Set<string>;
  dropoutProbability: number;
}

export function dissatisfactionFromDropout(rng: Random, p: number): number {
  const { a, b } = TRUE_PARAMETERS.bgnbd;
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
  return 0.7 * ((p - mean) / sd) + 0.7 * rng.normal();
}

export function simulateBuyer(
  rng: Random,
  events: CustomerEvents,
  signup: number,
  to: number,
  p: number,
  nextOrder: () => number,
): BuyerHistory {
  const P = TRUE_PARAMETERS;
  const lambda = rng.gamma(P.bgnbd.r, P.bgnbd.alpha);
  const nu = rng.gamma(P.gammaGamma.q, P.gammaGamma.gamma);
  const history: BuyerHistory = { purchases: [], dropoutDay: null, drivers: new Set(), dropoutProbability: p };
  const scale = Math.exp(P.symptoms.dissatisfactionEffect * events.dissatisfaction);
  let weeks = 0;
  let day = signup;
  for (;;) {
    const cents = Math.max(1, Math.round(rng.gamma(P.gammaGamma.p, nu) * 100));
    let refundDay = -1;
    if (rng.next() < P.refundRate) {
      const r = day + 1 + rng.int(30);
      if (r <= to) refundDay = r;
    }
    history.purchases.push({ day, cents, order: nextOrder(), refundDay });
    if (rng.next() < P.symptoms.deliveryDelayPerPurchase * scale) {
      events.add(Math.min(to, day + 1 + rng.int(10)), "delivery_delay");
      if (rng.next() < 0.5) events.add(Math.min(to, day + 2 + rng.int(12)), "complaint");
    }
    if (rng.next() < 0.12) events.surveys.push({ day: Math.min(to, day + 1 + rng.int(7)), drop: 0 });
    // BG/NBD: a customer may drop out after any repeat purchase (never right after the first: the δ_{x>0} term).
    if (history.purchases.length > 1 && rng.next() < p) {
      history.dropoutDay = day;
      break;
    }
    weeks += rng.exponential(lambda);
    day = signup + Math.floor(weeks * 7);
    if (day > to) break;
  }
  events.background(signup, Math.min(to, (history.purchases.at(-1)?.day ?? signup) + 60));
  if (history.dropoutDay !== null) {
    // Trouble clusters around the last purchase of a buyer who is about to leave.
    for (const d of events.precursors(Math.min(to, history.dropoutDay + 20), signup, false)) history.drivers.add(d);
    history.drivers.add("purchase_decline");
  }
  return history;
}
