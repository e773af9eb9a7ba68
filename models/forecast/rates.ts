/**
 * The rates the forecast draws from, each with its uncertainty:
 * - arrivals (new subscribers, reactivated subscribers, new buyers) per month: the mean m of the last k complete
 *   months' counts. The rate's uncertainty is a Gamma with mean m and variance max(m, s²)/k (s² the months' sample
 *   variance: Poisson when the months agree, wider when they scatter), and each future month's count is Poisson with a
 *   Gamma-mixed mean of extra variance max(0, s² − m) (a negative binomial), so month-to-month scatter is kept too;
 * - BG/NBD for buyers: the maximum-likelihood fit (models/value/bgnbd.ts) and the covariance of its log-parameters
 *   from the inverse numerical Hessian; a draw is multivariate normal on the log scale (the asymptotic sampling law).
 */
import type { UserError } from "../../loaders/errors.ts";
import type { Random } from "../../loaders/random.ts";
import { cholesky } from "../math/linear-algebra.ts";
import type { BgNbdFit, BgNbdParams } from "../value/bgnbd.ts";

export interface ArrivalRate {
  /** Mean count per month (30.4375 days). */
  mean: number;
  /** Variance of the rate's estimate. */
  rateVariance: number;
  /** Month-to-month variance beyond Poisson. */
  extraVariance: number;
  months: number;
  /** Per forecast month, a multiplier of the mean when arrivals follow last year's months (arrival-seasons.ts). */
  seasons?: number[] | null;
}

/** An arrival rate's seasonal multiplier in forecast month k (1 without seasons). */
export const seasonOf = (rate: ArrivalRate, k: number) => rate.seasons?.[k] ?? 1;

/** The mean count in forecast month k (its seasonal multiplier applied). */
export const meanInMonth = (rate: ArrivalRate, k: number) => rate.mean * seasonOf(rate, k);

export function estimateArrivalRate(counts: number[]): ArrivalRate {
  const k = counts.length;
  const mean = k ? counts.reduce((a, b) => a + b, 0) / k : 0;
  const s2 = k > 1 ? counts.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1) : mean;
  return { mean, rateVariance: k ? Math.max(mean, s2) / k : 0, extraVariance: Math.max(0, s2 - mean), months: k };
}

/** One draw of the monthly rate from its Gamma (0 when nothing arrived in the months looked at). */
export function drawArrivalRate(rate: ArrivalRate, rng: Random): number {
  if (!(rate.mean > 0) || !(rate.rateVariance > 0)) return rate.mean;
  return rng.gamma((rate.mean * rate.mean) / rate.rateVariance, rate.mean / rate.rateVariance);
}

/** One month's count given the drawn rate `mean` (already scaled to the interval): Poisson-Gamma. */
export function drawArrivalCount(rate: ArrivalRate, mean: number, rng: Random): number {
  if (!(mean > 0)) return 0;
  const extra = rate.extraVariance * (mean / Math.max(rate.mean, 1e-12)) ** 2;
  const lambda = extra > 0 ? rng.gamma((mean * mean) / extra, mean / extra) : mean;
  return rng.poisson(lambda);
}

export interface BuyerModel {
  params: BgNbdParams;
  /** Lower Cholesky factor of the log-parameters' covariance (null: the Hessian was not positive definite). */
  logCholesky: number[][] | null;
  customers: number;
}

/**
 * The forecast's buyer model from the buyers' BG/NBD fit (buyer-fit.ts); null (with the reason) when it could not be
 * fitted.
 */
export function buyerModelOf(fit: BgNbdFit | UserError): { model: BuyerModel | null; note?: string } {
  if (fit instanceof Error) return { model: null, note: fit.message };
  const params = { r: fit.r, alpha: fit.alpha, a: fit.a, b: fit.b };
  const cov = fit.logCovariance;
  const chol = cov ? cholesky(cov) : null;
  const ok = chol?.every((row) => row.every(Number.isFinite)) ?? false;
  return { model: { params, logCholesky: ok ? chol : null, customers: fit.customers } };
}

/** One draw of the BG/NBD parameters from the fit's asymptotic law (the fit itself without a covariance). */
export function drawBuyerParams(model: BuyerModel, rng: Random): BgNbdParams {
  const L = model.logCholesky;
  if (!L) return model.params;
  const z = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
  const shift = L.map((row) => row.reduce((s, l, j) => s + l * z[j]!, 0));
  const p = model.params;
  return {
    r: p.r * Math.exp(shift[0]!),
    alpha: p.alpha * Math.exp(shift[1]!),
    a: p.a * Math.exp(shift[2]!),
    b: p.b * Math.exp(shift[3]!),
  };
}
