/**
 * The forecast's band (model.ts states the model): `runs` simulated futures. Each run draws the rates from their
 * uncertainty (hazards from their Gamma posteriors, BG/NBD parameters from the fit's asymptotic law, arrival rates from
 * their Gammas), then who stays, who buys and who arrives, under every scenario.
 * - Today's customers: one uniform per subscriber decides the month its spell ends; buyers' purchases come from the
 *   BG/NBD posterior given their history (buyer-activity.ts `simulateFuturePurchases`); a regular buyer's renewals
 *   to come are a geometric count with θ from its posterior Beta (renewals.ts), and a buyer with no repeat purchase
 *   yet is active while one uniform stays below the new buyers' curve at its age. The draws are shared by the
 *   scenarios (common random numbers); a scenario only re-decides the customers it picks.
 * - Arrivals: drawn once per run for every distinct arrivals factor and shared by the scenarios with that factor. The
 *   survivors of a month's new subscribers are thinned month by month with binomial draws, S(h_k − m)/S(h_{k−1} − m),
 *   which is the same law as one uniform per subscriber; new buyers are certainly active while their first purchase is
 *   within W of a month's end, and simulated one by one (at most SIMULATED_NEW_BUYERS a month) only when the window
 *   can close before the last month: by the new buyers' curve when there is one, else by BG/NBD.
 */
import type { Random } from "../../loaders/random.ts";
import { type BgNbdParams, probabilityAlive } from "../value/bgnbd.ts";
import { simulateFuturePurchases } from "./buyer-activity.ts";
import { distinctIndex } from "../math/distinct.ts";
import { cumulativeHazard, estimateHazard, type PiecewiseHazard } from "./hazards.ts";
import {
  curveAt,
  curveFrom,
  DAYS_PER_MONTH,
  followsCurve,
  type ForecastInputs,
  intervals,
  type ScenarioInput,
} from "./model.ts";
import { drawArrivalCount, drawArrivalRate, drawBuyerParams, seasonOf } from "./rates.ts";
import { drawRenewalParams, type RenewalParams, renewalsNeeded } from "./renewals.ts";

export interface SimulatedPaths {
  /** [scenario][month] → values over the runs. */
  subscribers: Float64Array[][];
  buyers: Float64Array[][];
  mrr: Float64Array[][];
  /** [scenario][month] → mean customers lost in the month (active at its start, not at its end). */
  churned: number[][];
}

/** Per-run totals over months (or scenario · K + month). */
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
 * About this many customers of each kind have their fates simulated in a run; above it, each run draws a fresh random
 * sample of about this size (RunSample), each customer in it weighing N / SIMULATED_CUSTOMERS. The band's centre stays
 * right and the sample's own error is in the band: a sample drawn once for all runs moved every run alike, so the band
 * was off centre by it and did not show it (the 100k benchmark's next-month buyers: medians 18,532 to 18,817 over
 * three seeds with 10,000 drawn once; 18,621 to 18,643 with 5,000 drawn per run, the band a little wider). Half the
 * customers drawn per run also halve the customers' part of the cost (that forecast: 2.1 s a simulation to 1.2-1.5 s).
 */
export const SIMULATED_CUSTOMERS = 5_000;

/**
 * At most this many of a month's new buyers are simulated one by one, each then standing for n / this many of them:
 * the same trade as SIMULATED_CUSTOMERS (the count's centre stays right; only the part of the band from individual
 * fates widens, by √(n / SIMULATED_NEW_BUYERS)), which bounds the cost at a million customers. At 500, with 3,000 new
 * buyers a month (the 100k benchmark) that part's standard deviation is about 3,000 × 0.5 / √500 ≈ 67 buyers a month,
 * beside a band whose spread from the rates is above 1,000: the band widens by under 1%, for a quarter of the cost.
 */
export const SIMULATED_NEW_BUYERS = 500;

/**
 * The customers one run simulates: all n (weight 1) when n ≤ SIMULATED_CUSTOMERS, else a fresh sample each run in
 * which every customer is independently included with probability p = SIMULATED_CUSTOMERS / n (Bernoulli sampling,
 * drawn as geometric gaps between included customers: about SIMULATED_CUSTOMERS draws a run, in index order, so the
 * packed arrays are read forwards), each weighing 1 / p (Horvitz-Thompson: the weighted totals are unbiased).
 */
class RunSample {
  readonly weight: number;
  private readonly chosen: Int32Array;
  private readonly logSkip: number;
  constructor(readonly n: number) {
    const p = n > SIMULATED_CUSTOMERS ? SIMULATED_CUSTOMERS / n : 1;
    this.weight = 1 / p;
    this.logSkip = Math.log1p(-p);
    this.chosen = Int32Array.from({ length: n }, (_, i) => i);
  }
  draw(rng: Random): Int32Array {
    if (this.weight === 1) return this.chosen;
    let m = 0;
    for (let i = -1; ; ) {
      i += 1 + Math.floor(Math.log(1 - rng.next()) / this.logSkip);
      if (i >= this.n) break;
      this.chosen[m++] = i;
    }
    return this.chosen.subarray(0, m);
  }
}

/** Which scenarios change which customer (factor ≠ 1): customer n's are entries start[n] to start[n + 1]. */
interface Changes {
  start: Int32Array;
  scenario: Int32Array;
  factor: Float64Array;
}

function changesOf(
  scenarios: ScenarioInput[],
  pick: (s: ScenarioInput) => Float64Array | null,
  indices: Int32Array,
): Changes {
  const start = new Int32Array(indices.length + 1);
  const scenario: number[] = [];
  const factor: number[] = [];
  indices.forEach((i, n) => {
    scenarios.forEach((s, c) => {
      const f = pick(s)?.[i] ?? 1;
      if (f === 1) return;
      scenario.push(c);
      factor.push(f);
    });
    start[n + 1] = scenario.length;
  });
  return { start, scenario: Int32Array.from(scenario), factor: Float64Array.from(factor) };
}

/**
 * How many more renewals a regular buyer makes: θ ~ Beta(α, β + renewed), then renewals until the first failure,
 * P(at least j) = (1 − θ)^j, by inversion (renewals.ts).
 */
function renewalsToCome(p: RenewalParams, renewed: number, rng: Random): number {
  const theta = rng.beta(p.alpha, p.beta + renewed);
  if (!(theta > 0)) return Number.POSITIVE_INFINITY;
  if (theta >= 1) return 0;
  return Math.floor(Math.log(1 - rng.next()) / Math.log1p(-theta));
}

/** Is a regular buyer who makes `renewing` more renewals active `h` days from now? */
function renews(cycle: number, since: number, h: number, w: number, renewing: number): boolean {
  const needed = renewalsNeeded(cycle, since, h, w);
  return needed >= 0 && renewing >= needed;
}

/** Is one of the purchase times in (from, to]? (The buyer is active at `to` by the window rule.) */
function boughtWithin(times: number[], from: number, to: number): boolean {
  for (const t of times) if (t > from && t <= to) return true;
  return false;
}

interface RunDraws {
  hazard: PiecewiseHazard;
  buyerParams: BgNbdParams | null;
  rates: { newSubscribers: number; reactivations: number; newBuyers: number };
}

/**
 * One run's arrivals with first-time arrivals scaled by `factor`, added into `into` (months 0..K−1; lost = those
 * active at a month's start and not at its end).
 */
function simulateArrivals(
  inputs: ForecastInputs,
  draws: RunDraws,
  factor: number,
  rng: Random,
  into: Tally,
  times: number[],
): void {
  const H = inputs.horizons;
  const K = H.length;
  const hN = H[K - 1]!;
  const w = inputs.windowDays;
  const a = inputs.arrivals;
  const { hazard, buyerParams: p, rates } = draws;
  const slots = intervals(H);
  for (let j = 0; j < K; j++) {
    const { length, mid } = slots[j]!;
    const months = length / DAYS_PER_MONTH;
    const kinds = [
      [a.newSubscribers, rates.newSubscribers * seasonOf(a.newSubscribers, j) * months * factor, a.newMrr],
      [a.reactivations, rates.reactivations * seasonOf(a.reactivations, j) * months, a.reactivationMrr],
    ] as const;
    for (const [rate, mean, mrr] of kinds) {
      let active = drawArrivalCount(rate, mean, rng);
      let hazardBefore = 0;
      for (let k = j; k < K && active > 0; k++) {
        const hazardNow = cumulativeHazard(hazard, H[k]! - mid);
        const stay = rng.binomial(active, Math.exp(-(hazardNow - hazardBefore)));
        if (k > j) into.lost[k]! += active - stay;
        active = stay;
        hazardBefore = hazardNow;
        into.subs[k]! += active;
        into.mrr[k]! += active * mrr;
      }
    }
    if (w === null) continue;
    const n = drawArrivalCount(a.newBuyers, rates.newBuyers * seasonOf(a.newBuyers, j) * months * factor, rng);
    if (hN - mid < w) {
      // Their first purchase is within W of every month's end still to come.
      for (let k = j; k < K; k++) into.buyers[k]! += n;
      continue;
    }
    const simulated = Math.min(n, SIMULATED_NEW_BUYERS);
    const weight = simulated > 0 ? n / simulated : 0;
    const curve = inputs.newBuyerCurve ?? null;
    for (let i = 0; i < simulated; i++) {
      times.length = 0;
      times.push(mid);
      // With the recent buyers' curve, one uniform per buyer: active at each age while it is below the curve.
      const u = curve ? rng.next() : 0;
      if (p && !curve) simulateFuturePurchases(p, 0, 0, mid, hN, rng, times);
      let was = true;
      for (let k = j; k < K; k++) {
        const h = H[k]!;
        const now = h - mid < w || (curve ? u < curveAt(curve, h - mid) : boughtWithin(times, h - w, h));
        if (now) into.buyers[k]! += weight;
        else if (was && k > j) into.lost[k]! += weight;
        was = now;
      }
    }
  }
}

/**
 * Simulate `runs` futures for every scenario. The draws of the rates and today's customers' fates are shared by the
 * scenarios (common random numbers); a scenario only re-decides the customers it picks. Arrivals are shared by the
 * scenarios with the same arrivals factor.
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
  const hN = H[K - 1]!;
  const times: number[] = [];
  const base = new Tally(K);
  const delta = new Tally(S * K);
  const active = new Uint8Array(K);
  const subSample = new RunSample(inputs.subscribers.length);
  const buySample = new RunSample(w === null ? 0 : inputs.buyers.length);
  const everySubscriber = Int32Array.from({ length: subSample.n }, (_, i) => i);
  const everyBuyer = Int32Array.from({ length: buySample.n }, (_, i) => i);
  // Every customer's data packed in arrays, a run's sample read from them in order (at a million customers, chasing
  // each one's object across the heap cost more than simulating it).
  const subscriberChanges = changesOf(scenarios, (s) => s.subscriberFactor, everySubscriber);
  const buyerChanges = changesOf(scenarios, (s) => s.buyerFactor, everyBuyer);
  const mrr = Float64Array.from(inputs.subscribers, (c) => c.mrr);
  const buyers = {
    x: Float64Array.from(everyBuyer, (i) => inputs.buyers[i]!.x),
    tx: Float64Array.from(everyBuyer, (i) => inputs.buyers[i]!.tx),
    T: Float64Array.from(everyBuyer, (i) => inputs.buyers[i]!.T),
    gap: Float64Array.from(everyBuyer, (i) => inputs.buyers[i]!.gap),
    cycle: Float64Array.from(everyBuyer, (i) => inputs.buyers[i]!.cycle ?? 0),
    renewed: Float64Array.from(everyBuyer, (i) => inputs.buyers[i]!.renewed ?? 0),
  };
  // Survival over the months is computed once per run for each distinct tenure; P(alive) once per run for each
  // distinct history when every buyer is simulated (many share one), else for each buyer drawn (a million buyers'
  // histories indexed once cost more than the few repeats among the 5,000 drawn save).
  const tenures = distinctIndex(everySubscriber, (i) => inputs.subscribers[i]!.tenure);
  const survival = new Float64Array(tenures.keys.length * K);
  const histories =
    buySample.weight === 1
      ? distinctIndex(everyBuyer, (i) => {
          const b = inputs.buyers[i]!;
          return `${b.x}|${b.tx}|${b.T}`;
        })
      : null;
  const alive = new Float64Array(histories?.keys.length ?? 0);
  // Arrivals: one tally per distinct factor.
  const factors = [...new Set(scenarios.map((s) => s.arrivalsFactor))];
  const arrivals = new Map(factors.map((f) => [f, new Tally(K)]));
  const ws = subSample.weight;
  const wb = buySample.weight;
  for (let run = 0; run < runs; run++) {
    base.reset();
    delta.reset();
    const hazard = estimateHazard(inputs.hazardBands, rng);
    const p = inputs.buyerModel ? drawBuyerParams(inputs.buyerModel, rng) : null;
    const renewals = inputs.renewalModel ? drawRenewalParams(inputs.renewalModel, rng) : null;
    const curve = inputs.newBuyerCurve ?? null;
    tenures.keys.forEach((tenure, d) => {
      const h0 = cumulativeHazard(hazard, tenure);
      for (let k = 0; k < K; k++) survival[d * K + k] = Math.exp(-(cumulativeHazard(hazard, tenure + H[k]!) - h0));
    });
    // Subscribers active today: one uniform U each; active at k when U < 1 − f(1 − S_k).
    const subscribers = subSample.draw(rng);
    for (let q = 0; q < subscribers.length; q++) {
      const n = subscribers[q]!;
      const at = tenures.of[n]! * K;
      const u = rng.next();
      let was = 1;
      for (let k = 0; k < K; k++) {
        const now = u < survival[at + k]! ? 1 : 0;
        if (now) {
          base.subs[k]! += ws;
          base.mrr[k]! += ws * mrr[n]!;
        } else if (was) base.lost[k]! += ws;
        active[k] = now;
        was = now;
      }
      for (let e = subscriberChanges.start[n]!; e < subscriberChanges.start[n + 1]!; e++) {
        const c = subscriberChanges.scenario[e]!;
        const f = subscriberChanges.factor[e]!;
        let wasC = 1;
        let wasB = 1;
        for (let k = 0; k < K; k++) {
          const now = u < 1 - f * (1 - survival[at + k]!) ? 1 : 0;
          const d = c * K + k;
          delta.subs[d]! += ws * (now - active[k]!);
          delta.mrr[d]! += ws * (now - active[k]!) * mrr[n]!;
          delta.lost[d]! += ws * ((wasC && !now ? 1 : 0) - (wasB && !active[k] ? 1 : 0));
          wasC = now;
          wasB = active[k]!;
        }
      }
    }
    // Buyers: each one's purchases after today from the BG/NBD posterior given their history.
    alive.fill(Number.NaN);
    const sampledBuyers = buySample.draw(rng);
    if (w !== null)
      for (let q = 0; q < sampledBuyers.length; q++) {
        const n = sampledBuyers[q]!;
        const gap = buyers.gap[n]!;
        const cycle = buyers.cycle[n]!;
        times.length = 0;
        // A regular buyer's renewals to come: θ from its posterior Beta(α, β + renewals made), then a geometric count.
        const renewing = renewals && cycle > 0 ? renewalsToCome(renewals, buyers.renewed[n]!, rng) : -1;
        // Too new to show a pattern (model.ts followsCurve): like a new buyer of the same age, one uniform.
        const young = curve !== null && followsCurve(inputs, buyers.x[n]!, gap, w) ? rng.next() : -1;
        if (renewing < 0 && young < 0 && gap + hN >= w && p) {
          const d = histories ? histories.of[n]! : -1;
          if (d >= 0 && Number.isNaN(alive[d]!))
            alive[d] = probabilityAlive(p, buyers.x[n]!, buyers.tx[n]!, buyers.T[n]!);
          const pAlive = d >= 0 ? alive[d]! : probabilityAlive(p, buyers.x[n]!, buyers.tx[n]!, buyers.T[n]!);
          if (rng.next() < pAlive) simulateFuturePurchases(p, buyers.x[n]!, buyers.T[n]!, 0, hN, rng, times);
        }
        const activeToday = gap < w ? 1 : 0;
        let was = activeToday;
        for (let k = 0; k < K; k++) {
          const h = H[k]!;
          const now = (
            young >= 0
              ? young < curveFrom(curve!, buyers.T[n]! * 7, h)
              : renewing >= 0
                ? renews(cycle, gap, h, w, renewing)
                : gap + h < w || boughtWithin(times, h - w, h)
          )
            ? 1
            : 0;
          if (now) base.buyers[k]! += wb;
          else if (was) base.lost[k]! += wb;
          active[k] = now;
          was = now;
        }
        const first = buyerChanges.start[n]!;
        const last = buyerChanges.start[n + 1]!;
        if (!activeToday || first === last) continue;
        const v = rng.next();
        for (let e = first; e < last; e++) {
          const c = buyerChanges.scenario[e]!;
          const f = buyerChanges.factor[e]!;
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
    const draws: RunDraws = {
      hazard,
      buyerParams: p,
      rates: {
        newSubscribers: drawArrivalRate(inputs.arrivals.newSubscribers, rng),
        reactivations: drawArrivalRate(inputs.arrivals.reactivations, rng),
        newBuyers: drawArrivalRate(inputs.arrivals.newBuyers, rng),
      },
    };
    for (const [factor, tally] of arrivals) {
      tally.reset();
      simulateArrivals(inputs, draws, factor, rng, tally, times);
    }
    scenarios.forEach((scenario, c) => {
      const arrived = arrivals.get(scenario.arrivalsFactor)!;
      for (let k = 0; k < K; k++) {
        const d = c * K + k;
        out.subscribers[c]![k]![run] = base.subs[k]! + delta.subs[d]! + arrived.subs[k]!;
        out.buyers[c]![k]![run] = base.buyers[k]! + delta.buyers[d]! + arrived.buyers[k]!;
        out.mrr[c]![k]![run] = base.mrr[k]! + delta.mrr[d]! + arrived.mrr[k]!;
        out.churned[c]![k]! += base.lost[k]! + delta.lost[d]! + arrived.lost[k]!;
      }
    });
  }
  for (const perScenario of out.churned) for (let k = 0; k < K; k++) perScenario[k]! /= runs;
  return out;
}
