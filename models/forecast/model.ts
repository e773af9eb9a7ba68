/**
 * The forecast of active customers, MRR and churn for the coming months, for subscribers and one-off buyers each under
 * its own rule of "active" (README, "How the numbers are defined"), from the history's rates only (no churn model).
 *
 * Month k ends on the first day of the next month, h_k days after the as-of date; "active at month k" = active then.
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
import {
  conditionalSurvival,
  cumulativeHazard,
  estimateHazard,
  type HazardBand,
  type PiecewiseHazard,
} from "./hazards.ts";
import { type ArrivalRate, type BuyerModel, drawArrivalCount, drawArrivalRate, drawBuyerParams } from "./rates.ts";

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

/** Each customer's chance of being active at each month's end (index i · K + k), from the point estimates. */
interface BaseProbabilities {
  subscribers: Float64Array;
  buyers: Float64Array;
}
const baseCache = new WeakMap<ForecastInputs, BaseProbabilities>();

function baseProbabilities(inputs: ForecastInputs): BaseProbabilities {
  const cached = baseCache.get(inputs);
  if (cached) return cached;
  const hazard = estimateHazard(inputs.hazardBands);
  const p = inputs.buyerModel?.params ?? null;
  const w = inputs.windowDays;
  const H = inputs.horizons;
  const K = H.length;
  const subscribers = new Float64Array(inputs.subscribers.length * K);
  inputs.subscribers.forEach((s, i) => {
    for (let k = 0; k < K; k++) subscribers[i * K + k] = conditionalSurvival(hazard, s.tenure, H[k]!);
  });
  const buyers = new Float64Array(w === null ? 0 : inputs.buyers.length * K);
  // Buyers with the same history have the same chances: computed once per distinct (x, t_x, T, gap).
  const seen = new Map<string, number>();
  if (w !== null)
    inputs.buyers.forEach((b, i) => {
      const key = `${b.x}|${b.tx}|${b.T}|${b.gap}`;
      const first = seen.get(key);
      if (first !== undefined) {
        buyers.copyWithin(i * K, first * K, first * K + K);
        return;
      }
      seen.set(key, i);
      const alive = p ? probabilityAlive(p, b.x, b.tx, b.T) : 0;
      for (let k = 0; k < K; k++) buyers[i * K + k] = buyerActive(p, b, H[k]!, w, alive);
    });
  const base = { subscribers, buyers };
  baseCache.set(inputs, base);
  return base;
}

/** Expected subscribers, buyers and MRR at each month's end under a scenario, from the point estimates. */
export function expectedForecast(inputs: ForecastInputs, scenario: ScenarioInput): ExpectedPath {
  const hazard = estimateHazard(inputs.hazardBands);
  const p = inputs.buyerModel?.params ?? null;
  const w = inputs.windowDays;
  const H = inputs.horizons;
  const K = H.length;
  const slots = intervals(H);
  const base = baseProbabilities(inputs);
  const out: ExpectedPath = { subscribers: [], buyers: [], mrr: [] };
  const a = inputs.arrivals;
  for (let k = 0; k < K; k++) {
    const h = H[k]!;
    let subs = 0,
      mrr = 0;
    inputs.subscribers.forEach((s, i) => {
      const f = scenario.subscriberFactor?.[i] ?? 1;
      const stay = 1 - f * (1 - base.subscribers[i * K + k]!);
      subs += stay;
      mrr += stay * s.mrr;
    });
    let buyers = 0;
    if (w !== null)
      inputs.buyers.forEach((b, i) => {
        const f = b.gap < w ? (scenario.buyerFactor?.[i] ?? 1) : 1;
        buyers += 1 - f * (1 - base.buyers[i * K + k]!);
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

/** Per-run totals: [month] for the baseline fates, [scenario · K + month] for a scenario's changes to them. */
class Tally {
  readonly subs: Float64Array;
  readonly buyers: Float64Array;
  readonly mrr: Float64Array;
  readonly lost: Float64Array;
  constructor(size: number) {
    this.subs = new Float64Array(size);
    this.buyers = new Float64Array(size);
    this.mrr = new Float64Array(size);
    this.lost = new Float64Array(size);
  }
  reset() {
    this.subs.fill(0);
    this.buyers.fill(0);
    this.mrr.fill(0);
    this.lost.fill(0);
  }
}

/**
 * At most this many customers of each kind have their fates simulated; above it, a seeded random sample of this size
 * stands for all, each weighing N / SIMULATED_CUSTOMERS. The band's centre and the part that comes from the rates stay
 * right; the part from who leaves is widened by √(N / SIMULATED_CUSTOMERS), which is small beside the rates' part
 * at such sizes (a conservative band, and a bounded cost: 10,000 customers × the runs).
 */
export const SIMULATED_CUSTOMERS = 10_000;

function sampleIndices(n: number, rng: Random): { indices: Int32Array; weight: number } {
  if (n <= SIMULATED_CUSTOMERS) return { indices: Int32Array.from({ length: n }, (_, i) => i), weight: 1 };
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < SIMULATED_CUSTOMERS; i++) {
    const j = i + rng.int(n - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return { indices: all.slice(0, SIMULATED_CUSTOMERS).sort(), weight: n / SIMULATED_CUSTOMERS };
}

/**
 * Simulate `runs` futures for every scenario. The draws of the rates and today's customers' fates are shared by the
 * scenarios (common random numbers); a scenario only re-decides the customers it picks, and draws its own arrivals.
 */
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
  const hN = H[K - 1]!;
  const times: number[] = [];
  const base = new Tally(K);
  const delta = new Tally(S * K);
  const active = new Uint8Array(K);
  // Which scenarios change whom (factor ≠ 1).
  const changes = (pick: (s: ScenarioInput) => Float64Array | null, n: number) =>
    Array.from({ length: n }, (_, i) =>
      scenarios.flatMap((s, c) => {
        const f = pick(s)?.[i] ?? 1;
        return f === 1 ? [] : [[c, f] as const];
      }),
    );
  const subscriberChanges = changes((s) => s.subscriberFactor, inputs.subscribers.length);
  const buyerChanges = changes((s) => s.buyerFactor, w === null ? 0 : inputs.buyers.length);
  const survive = new Float64Array(K);
  const subSample = sampleIndices(inputs.subscribers.length, rng);
  const buySample = sampleIndices(w === null ? 0 : inputs.buyers.length, rng);
  for (let run = 0; run < runs; run++) {
    base.reset();
    delta.reset();
    const hazard: PiecewiseHazard = estimateHazard(inputs.hazardBands, rng);
    const p = inputs.buyerModel ? drawBuyerParams(inputs.buyerModel, rng) : null;
    // Subscribers active today: one uniform U each; active at k when U < 1 − f(1 − S_k).
    const ws = subSample.weight;
    for (const i of subSample.indices) {
      const s = inputs.subscribers[i]!;
      const u = rng.next();
      const h0 = cumulativeHazard(hazard, s.tenure);
      let was = 1;
      for (let k = 0; k < K; k++) {
        survive[k] = Math.exp(-(cumulativeHazard(hazard, s.tenure + H[k]!) - h0));
        const now = u < survive[k]! ? 1 : 0;
        if (now) {
          base.subs[k]! += ws;
          base.mrr[k]! += ws * s.mrr;
        } else if (was) base.lost[k]! += ws;
        active[k] = now;
        was = now;
      }
      for (const [c, f] of subscriberChanges[i]!) {
        let wasC = 1;
        let wasB = 1;
        for (let k = 0; k < K; k++) {
          const now = u < 1 - f * (1 - survive[k]!) ? 1 : 0;
          const d = c * K + k;
          delta.subs[d]! += ws * (now - active[k]!);
          delta.mrr[d]! += ws * (now - active[k]!) * s.mrr;
          delta.lost[d]! += ws * ((wasC && !now ? 1 : 0) - (wasB && !active[k] ? 1 : 0));
          wasC = now;
          wasB = active[k]!;
        }
      }
    }
    // Buyers: simulate each one's purchases after today from the BG/NBD posterior given their history.
    const wb = buySample.weight;
    if (w !== null)
      for (const i of buySample.indices) {
        const b = inputs.buyers[i]!;
        times.length = 0;
        if (b.gap + hN >= w && p && rng.next() < probabilityAlive(p, b.x, b.tx, b.T)) {
          const perDay = rng.gamma(p.r + b.x, p.alpha + b.T) / 7;
          const drop = rng.beta(p.a, p.b + b.x);
          simulatePurchases(perDay, drop, 0, hN, rng, times);
        }
        const activeToday = b.gap < w ? 1 : 0;
        let was = activeToday;
        for (let k = 0; k < K; k++) {
          const h = H[k]!;
          let now = b.gap + h < w ? 1 : 0;
          for (let t = 0; !now && t < times.length; t++) if (times[t]! > h - w && times[t]! <= h) now = 1;
          if (now) base.buyers[k]! += wb;
          else if (was) base.lost[k]! += wb;
          active[k] = now;
          was = now;
        }
        if (!activeToday || buyerChanges[i]!.length === 0) continue;
        const v = rng.next();
        for (const [c, f] of buyerChanges[i]!) {
          let wasC = 1;
          let wasB = 1;
          for (let k = 0; k < K; k++) {
            const now = active[k] || v < 1 - f ? 1 : 0;
            const d = c * K + k;
            delta.buyers[d]! += wb * (now - active[k]!);
            delta.lost[d]! += wb * ((wasC && !now ? 1 : 0) - (wasB && !active[k] ? 1 : 0));
            wasC = now;
            wasB = active[k]!;
          }
        }
      }
    // Arrivals, per scenario.
    const rates = {
      newSubscribers: drawArrivalRate(inputs.arrivals.newSubscribers, rng),
      reactivations: drawArrivalRate(inputs.arrivals.reactivations, rng),
      newBuyers: drawArrivalRate(inputs.arrivals.newBuyers, rng),
    };
    for (let c = 0; c < S; c++) {
      const factor = scenarios[c]!.arrivalsFactor;
      for (let k = 0; k < K; k++) {
        const d = c * K + k;
        out.subscribers[c]![k]![run] = base.subs[k]! + delta.subs[d]!;
        out.buyers[c]![k]![run] = base.buyers[k]! + delta.buyers[d]!;
        out.mrr[c]![k]![run] = base.mrr[k]! + delta.mrr[d]!;
        out.churned[c]![k]! += base.lost[k]! + delta.lost[d]!;
      }
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
            let now = false;
            for (let t = 0; !now && t < times.length; t++) if (times[t]! > h - w && times[t]! <= h) now = true;
            if (now) out.buyers[c]![k]![run]! += 1;
            else if (was && k > j) out.churned[c]![k]! += 1;
            was = now;
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
