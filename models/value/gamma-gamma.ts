/**
 * Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value";
 * Colombo & Jiang 1999). Each transaction's value z ~ Gamma(p, ν) with ν ~ Gamma(q, γ) across customers (γ is
 * called v in lifetimes). For a customer with x repeat transactions of mean value m:
 *   LL = ln Γ(px + q) − ln Γ(px) − ln Γ(q) + q ln v + (px − 1) ln m + px ln x − (px + q) ln(v + x m)
 *   E[Z | x, m] = (q − 1)/(px + q − 1) · p v/(q − 1) + px/(px + q − 1) · m = p (v + x m)/(px + q − 1).
 * Fitted by maximum likelihood on log-parameters (BFGS on the analytic gradient, Nelder-Mead when BFGS stops short)
 * on customers with x > 0 and m > 0. The model assumes spend is independent of frequency: the fit reports
 * their Pearson correlation so a user can see when that fails.
 */
import { UserError } from "../../loaders/errors.ts";
import { digamma, logGamma } from "../math/distributions.ts";
import { minimizeWithGradient } from "../math/optimize.ts";
import { mean, sampleCorrelation } from "simple-statistics";

export interface GammaGammaParams {
  p: number;
  q: number;
  v: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  logLik: number;
  customers: number;
  frequencySpendCorrelation: number | null;
  converged: boolean;
}

export function gammaGammaLogLik(g: GammaGammaParams, x: number, m: number): number {
  const { p, q, v } = g;
  const px = p * x;
  return (
    logGamma(px + q) -
    logGamma(px) -
    logGamma(q) +
    q * Math.log(v) +
    (px - 1) * Math.log(m) +
    px * Math.log(x) -
    (px + q) * Math.log(v + x * m)
  );
}

/** Pearson's r (simple-statistics' sampleCorrelation); null for fewer than 3 customers or a constant column. */
function pearson(xs: number[], ys: number[]): number | null {
  if (xs.length < 3) return null;
  const r = sampleCorrelation(xs, ys);
  return Number.isFinite(r) ? r : null;
}

/**
 * −LL summed over customers with x > 0 and m > 0 (given as xs, ms) as a function of (ln p, ln q, ln v); when
 * `gradient` is given, the analytic gradient in those log-parameters is written into it (digammas of the Γ terms).
 */
export function gammaGammaObjective(xs: number[], ms: number[]): (lp: number[], gradient?: number[]) => number {
  // Terms that depend on x only are summed once per distinct x; only ln(v + x m) is needed per customer.
  const groups = new Map<number, { n: number; sumLogM: number }>();
  xs.forEach((x, i) => {
    const g = groups.get(x) ?? { n: 0, sumLogM: 0 };
    g.n++;
    g.sumLogM += Math.log(ms[i]!);
    groups.set(x, g);
  });
  return (lp: number[], gradient?: number[]) => {
    const p = Math.exp(lp[0]!),
      q = Math.exp(lp[1]!),
      v = Math.exp(lp[2]!);
    let ll = 0;
    let gp = 0,
      gq = 0,
      gv = 0;
    const psiQ = gradient ? digamma(q) : 0;
    for (const [x, g] of groups) {
      const px = p * x;
      ll +=
        g.n * (logGamma(px + q) - logGamma(px) - logGamma(q) + q * Math.log(v) + px * Math.log(x)) +
        (px - 1) * g.sumLogM;
      if (gradient) {
        const psiPXQ = digamma(px + q);
        gp += g.n * x * (psiPXQ - digamma(px) + Math.log(x)) + x * g.sumLogM;
        gq += g.n * (psiPXQ - psiQ + Math.log(v));
        gv += (g.n * q) / v;
      }
    }
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const total = v + x * ms[i]!;
      const logTotal = Math.log(total);
      ll -= (p * x + q) * logTotal;
      if (gradient) {
        gp -= x * logTotal;
        gq -= logTotal;
        gv -= (p * x + q) / total;
      }
    }
    if (gradient) {
      gradient[0] = -gp * p;
      gradient[1] = -gq * q;
      gradient[2] = -gv * v;
    }
    return -ll;
  };
}

export function fitGammaGamma(frequency: ArrayLike<number>, monetary: ArrayLike<number>): GammaGammaFit {
  const xs: number[] = [];
  const ms: number[] = [];
  for (let i = 0; i < frequency.length; i++) {
    if (frequency[i]! > 0 && monetary[i]! > 0) {
      xs.push(frequency[i]!);
      ms.push(monetary[i]!);
    }
  }
  if (xs.length < 2)
    throw new UserError(`Gamma-Gamma needs at least 2 repeat buyers with positive spend (got ${xs.length}).`);
  const evaluate = gammaGammaObjective(xs, ms);
  const meanM = mean(ms);
  const start = [0, Math.log(2), Math.log(meanM)];
  const result = minimizeWithGradient(evaluate, start, { gradientTolerance: 1e-8 * Math.max(1, xs.length) });
  const fit = { p: Math.exp(result.x[0]!), q: Math.exp(result.x[1]!), v: Math.exp(result.x[2]!) };
  if (!Object.values(fit).every(Number.isFinite))
    throw new UserError("Gamma-Gamma did not converge to finite parameters.");
  return {
    ...fit,
    logLik: -result.fx,
    customers: xs.length,
    frequencySpendCorrelation: pearson(xs, ms),
    converged: result.converged,
  };
}

/** E[spend per transaction | x, m]; for x = 0 the population mean p v / (q − 1). */
export function conditionalExpectedSpend(g: GammaGammaParams, x: number, m: number): number {
  return (g.p * (g.v + x * m)) / (g.p * x + g.q - 1);
}
