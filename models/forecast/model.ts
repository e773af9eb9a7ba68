/**
 * The forecast of active customers, MRR and churn for the coming months, for subscribers and one-off buyers each under
 * its own rule of "active" (README, "How the numbers are defined"), from the history's rates only (no churn model).
 *
 * Month k ends on the first day of the next month, h_k days after the as-of date; "active at month k" is active that day.
 * - A subscriber active today with spell tenure τ is still active with S = exp(−(H(τ + h_k) − H(τ))), H the cumulative
 *   piecewise hazard of recent months (hazards.ts).
 * - A buyer (gap g days since the last purchase, BG/NBD history x, t_x, T) is active for sure while g + h_k < W, else
 *   with the BG/NBD chance of a purchase in the window's part after today, (max(0, h_k − W), h_k] (buyer-activity.ts):
 *   so an inactive buyer can come back.
 * - Arrivals in each month (new subscribers, reactivated subscribers, new buyers) come at the recent monthly rates
 *   (rates.ts), placed at the month's midpoint m_j: a new or reactivated subscriber is active at month k with
 *   exp(−H(h_k − m_j)); a new buyer with 1 while h_k − m_j < W, else BG/NBD's chance for a new customer (x = 0, T = 0)
 *   of buying in the window.
 * - MRR: active subscribers keep today's MRR; arrivals bring the recent months' mean starting MRR. Buyers have none.
 * - A scenario multiplies the probability of not being active, 1 − P, by f = 1 + churnChange for the customers it picks
 *   (among those active today), and first-time arrivals by 1 + newCustomersChange.
 * The expected values are computed exactly from the point estimates. The band simulates `runs` futures: each draws the
 * rates from their uncertainty (hazards from their Gamma posteriors, BG/NBD parameters from the fit's asymptotic law,
 * arrival rates from their Gammas), then who stays, who buys and who arrives; the band is the simulated quantiles.
 */
import type { Random } from "../../loaders/random.ts";
import { type BgNbdParams, probabilityAlive } from "../value/bgnbd.ts";
import { purchaseInWindowIfAlive } from "./buyer-activity.ts";
import { conditionalSurvival, cumulativeHazard, estimateHazard, type HazardBand, type PiecewiseHazard } from "./hazards.ts";
import {
  type ArrivalRate,
  type BuyerModel,
  drawArrivalCount,
  drawArrivalRate,
  drawBuyerParams,
} from "./rates.ts";

export const DAYS_PER_MONTH = 30.4375;

export interface ForecastSubscriber {
  tenure: number;
  mrr: number;
}

export interface ForecastBuyer {
  /** BG/NBD summary in weeks: repeat purchases, recency, age. */
  x: number;
  tx: number;
  T: number;
  /** Days since the last purchase. */
  gap: number;
}

export interface ForecastArrivals {
  newSubscribers: ArrivalRate;
  reactivations: ArrivalRate;
  newBuyers: ArrivalRate;
  /** Mean starting MRR of a new subscriber and of a reactivated one. */
  newMrr: number;
  reactivationMrr: number;
}

export interface ForecastInputs {
  asOf: string;
  months: string[];
  /** Days from the as-of date to each month's end (the first day of the next month). */
  horizons: number[];
  /** The buyers' inactivity window W (null: no buyer definition, buyers are not forecast). */
  windowDays: number | null;
  subscribers: ForecastSubscriber[];
  hazardBands: HazardBand[];
  buyers: ForecastBuyer[];
  buyerModel: BuyerModel | null;
  arrivals: ForecastArrivals;
}

export interface ScenarioInput {
  name: string;
  /** Per subscriber and per buyer (same order as the inputs): f = 1 + churnChange; null = 1 for everyone. */
  subscriberFactor: Float64Array | null;
  buyerFactor: Float64Array | null;
  /** Multiplies first-time arrivals. */
  arrivalsFactor: number;
}

export interface ExpectedPath {
  subscribers: number[];
  buyers: number[];
  mrr: number[];
}

/** Start and midpoint (days after the as-of date) of each forecast month's arrivals: (h_{k−1}, h_k]. */
function intervals(horizons: number[]): { length: number; mid: number }[] {
  return horizons.map((h, k) => {
    const from = k === 0 ? 0 : horizons[k - 1]!;
    return { length: h - from, mid: (from + h) / 2 };
  });
}

/** P(a new buyer who arrived `age` days before the month's end is active then). */
function newBuyerActive(p: BgNbdParams | null, age: number, w: number): number {
  if (age < w) return 1;
  return p ? purchaseInWindowIfAlive(p, 0, 0, (age - w) / 7, w / 7) : 0;
}

/** P(buyer b is active `h` days after the as-of date). */
function buyerActive(p: BgNbdParams | null, b: ForecastBuyer, h: number, w: number, pAlive: number): number {
  if (b.gap + h < w) return 1;
  if (!p) return 0;
  const s = Math.max(0, h - w);
  return pAlive * purchaseInWindowIfAlive(p, b.x, b.T, s / 7, (h - s) / 7);
}

/** Expected subscribers, buyers and MRR at each month's end under a scenario, from the point estimates. */
export function expectedForecast(inputs: ForecastInputs, scenario: ScenarioInput): ExpectedPath {
  const hazard = estimateHazard(inputs.hazardBands);
  const p = inputs.buyerModel?.params ?? null;
  const w = inputs.windowDays;
  const H = inputs.horizons;
  const slots = intervals(H);
  const out: ExpectedPath = { subscribers: [], buyers: [], mrr: [] };
  const pAlive = inputs.buyers.map((b) => (p ? probabilityAlive(p, b.x, b.tx, b.T) : 0));
  const a = inputs.arrivals;
  for (let k = 0; k < H.length; k++) {
    const h = H[k]!;
    let subs = 0,
      mrr = 0;
    inputs.subscribers.forEach((s, i) => {
      const f = scenario.subscriberFactor?.[i] ?? 1;
      const stay = 1 - f * (1 - conditionalSurvival(hazard, s.tenure, h));
      subs += stay;
      mrr += stay * s.mrr;
    });
    let buyers = 0;
    if (w !== null)
      inputs.buyers.forEach((b, i) => {
        const q = buyerActive(p, b, h, w, pAlive[i]!);
        const f = b.gap < w ? (scenario.buyerFactor?.[i] ?? 1) : 1;
        buyers += 1 - f * (1 - q);
      });
    for (let j = 0; j <= k; j++) {
      const { length, mid } = slots[j]!;
      const months = length / DAYS_PER_MONTH;
      const survive = Math.exp(-cumulativeHazard(hazard, h - mid));
      const newSubs = a.newSubscribers.mean * months * scenario.arrivalsFactor;
      const reactivated = a.reactivations.mean * months;
      subs += (newSubs + reactivated) * survive;
      mrr += (newSubs * a.newMrr + reactivated * a.reactivationMrr) * survive;
      if (w !== null) buyers += a.newBuyers.mean * months * scenario.arrivalsFactor * newBuyerActive(p, h - mid, w);
    }
    out.subscribers.push(subs);
    out.buyers.push(buyers);
    out.mrr.push(mrr);
  }
  return out;
}

export interface SimulatedPaths {
  /** [scenario][month] → values over the runs. */
  subscribers: Float64Array[][];
  buyers: Float64Array[][];
  mrr: Float64Array[][];
  /** [scenario][month] → mean customers lost in the month (active at its start, not at its end). */
  churned: number[][];
}

/** Simulate `runs` futures for every scenario (common draws of the rates and of today's customers' fates). */
export function simulateForecast(
  inputs: ForecastInputs,
  scenarios: ScenarioInput[],
  runs: number,
  rng: Random,
): SimulatedPaths {
  const K = inputs.horizons.length;
  const S = scenarios.length;
  const grid = () => Array.from({ length: S }, () => Array.from({ length: K }, () => new Float64Array(runs)));
  const out: SimulatedPaths = {
    subscribers: grid(),
    buyers: grid(),
    mrr: grid(),
    churned: Array.from({ length: S }, () => new Array<number>(K).fill(0)),
  };
  const H = inputs.horizons;
  const w = inputs.windowDays;
  const slots = intervals(H);
  const prev = new Uint8Array(S);
  const times: number[] = [];
  const hN = H[K - 1]!;
  for (let run = 0; run < runs; run++) {
    const hazard: PiecewiseHazard = estimateHazard(inputs.hazardBands, rng);
    const model = inputs.buyerModel;
    const p = model ? drawBuyerParams(model, rng) : null;
    // Subscribers active today: one uniform U each; active at k when U < 1 − f(1 − S_k).
    inputs.subscribers.forEach((s, i) => {
      const u = rng.next();
      const h0 = cumulativeHazard(hazard, s.tenure);
      prev.fill(1);
      for (let k = 0; k < K; k++) {
        const survive = Math.exp(-(cumulativeHazard(hazard, s.tenure + H[k]!) - h0));
        for (let c = 0; c < S; c++) {
          const f = scenarios[c]!.subscriberFactor?.[i] ?? 1;
          const active = u < 1 - f * (1 - survive) ? 1 : 0;
          if (active) {
            out.subscribers[c]![k]![run]! += 1;
            out.mrr[c]![k]![run]! += s.mrr;
          } else if (prev[c]) out.churned[c]![k]! += 1;
          prev[c] = active;
        }
      }
    });
    // Buyers: simulate each one's purchases after today from the BG/NBD posterior given their history.
    if (w !== null)
      inputs.buyers.forEach((b, i) => {
        times.length = 0;
        if (b.gap + hN >= w && p && rng.next() < probabilityAlive(p, b.x, b.tx, b.T)) {
          const perDay = rng.gamma(p.r + b.x, p.alpha + b.T) / 7;
          const drop = rng.beta(p.a, p.b + b.x);
          simulatePurchases(perDay, drop, 0, hN, rng, times);
        }
        const v = rng.next();
        const activeToday = b.gap < w;
        for (let c = 0; c < S; c++) prev[c] = activeToday ? 1 : 0;
        for (let k = 0; k < K; k++) {
          const h = H[k]!;
          const base = b.gap + h < w || times.some((t) => t > h - w && t <= h);
          for (let c = 0; c < S; c++) {
            const f = activeToday ? (scenarios[c]!.buyerFactor?.[i] ?? 1) : 1;
            const active = base || v < 1 - f ? 1 : 0;
            if (active) out.buyers[c]![k]![run]! += 1;
            else if (prev[c]) out.churned[c]![k]! += 1;
            prev[c] = active;
          }
        }
      });
    // Arrivals.
    const rates = {
      newSubscribers: drawArrivalRate(inputs.arrivals.newSubscribers, rng),
      reactivations: drawArrivalRate(inputs.arrivals.reactivations, rng),
      newBuyers: drawArrivalRate(inputs.arrivals.newBuyers, rng),
    };
    for (let c = 0; c < S; c++) {
      const factor = scenarios[c]!.arrivalsFactor;
      for (let j = 0; j < K; j++) {
        const { length, mid } = slots[j]!;
        const months = length / DAYS_PER_MONTH;
        const kinds: [ArrivalRate, number, number][] = [
          [inputs.arrivals.newSubscribers, rates.newSubscribers * months * factor, inputs.arrivals.newMrr],
          [inputs.arrivals.reactivations, rates.reactivations * months, inputs.arrivals.reactivationMrr],
        ];
        for (const [rate, mean, mrr] of kinds) {
          const n = drawArrivalCount(rate, mean, rng);
          for (let i = 0; i < n; i++) {
            const u = rng.next();
            for (let k = j; k < K; k++) {
              if (u < Math.exp(-cumulativeHazard(hazard, H[k]! - mid))) {
                out.subscribers[c]![k]![run]! += 1;
                out.mrr[c]![k]![run]! += mrr;
              } else {
                if (k > j) out.churned[c]![k]! += 1;
                break;
              }
            }
          }
        }
        if (w === null) continue;
        const n = drawArrivalCount(inputs.arrivals.newBuyers, rates.newBuyers * months * factor, rng);
        for (let i = 0; i < n; i++) {
          times.length = 0;
          times.push(mid);
          if (p) simulatePurchases(rng.gamma(p.r, p.alpha) / 7, rng.beta(p.a, p.b), mid, hN, rng, times);
          let was = true;
          for (let k = j; k < K; k++) {
            const h = H[k]!;
            const active = times.some((t) => t > h - w && t <= h);
            if (active) out.buyers[c]![k]![run]! += 1;
            else if (was && k > j) out.churned[c]![k]! += 1;
            was = active;
          }
        }
      }
    }
  }
  for (const perScenario of out.churned) for (let k = 0; k < K; k++) perScenario[k]! /= runs;
  return out;
}

/** Purchase times in (from, to] of an alive customer buying at `perDay`, dropping out after a purchase w.p. `drop`. */
function simulatePurchases(perDay: number, drop: number, from: number, to: number, rng: Random, times: number[]) {
  if (!(perDay > 0)) return;
  let t = from;
  for (;;) {
    t += rng.exponential(perDay);
    if (t > to) return;
    times.push(t);
    if (rng.next() < drop) return;
  }
}

/** The q-quantile of values (linear interpolation between order statistics). */
export function quantile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
