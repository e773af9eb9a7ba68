/**
 * A buyer's chance of buying in a future window under BG/NBD (Fader, Hardie & Lee 2005): while alive a customer buys
 * at Poisson rate λ and drops out after each purchase with probability p. Given the history (x, t_x, T), the customer
 * is alive at T with P(alive) (`probabilityAlive`), and then λ ~ Gamma(r + x, α + T), p ~ Beta(a, b + x).
 * Alive at T with (λ, p): dropout comes at rate λp, so P(alive at T + s) = e^(−λps), and an alive customer buys in
 * the next D with probability 1 − e^(−λD). Hence
 *   P(a purchase in (T + s, T + s + D]) = P(alive) · E[e^(−λps) − e^(−λ(ps + D))]
 *     = P(alive) · ( E_p[(1 + p·s/(α+T))^(−(r+x))] − ((α+T)/(α+T+D))^(r+x) · E_p[(1 + p·s/(α+T+D))^(−(r+x))] ),
 * and E_p[(1 + p·u)^(−m)] for p ~ Beta(a, β) is 2F1(m, a; a + β; −u) (Euler's integral), evaluated with Pfaff's
 * transformation (1 + u)^(−a) · 2F1(a + β − m, a; a + β; u / (1 + u)) so the series argument stays in [0, 1).
 * With s = 0 this is 1 − ((α+T)/(α+T+D))^(r+x), the complement of the paper's P(no purchase in D | alive).
 * Times are in the model's unit (weeks in this workspace).
 */
import type { Random } from "../../loaders/random.ts";
import { hyp2f1 } from "../math/hypergeometric.ts";
import { type BgNbdParams, logAddExp, probabilityAlive } from "../value/bgnbd.ts";

/**
 * Above this a·ln(1 + u) the series' prefactor (1 + u)^(−a) underflows and its terms overflow (the series sum grows
 * like (1 + u)^a): a BG/NBD fit on a handful of buyers can put a in the millions (2 buyers: a = 7.7e6, b = 6.1e7),
 * which made the forecast NaN. Such fits get the integral instead (betaPowerMeanByQuadrature).
 */
const SERIES_MAX_EXPONENT = 300;

/**
 * From this a + β on, Beta(a, β) is close enough to its mean for the delta method: the third-order term,
 * f‴(p̄)·E[(p − p̄)³]/6 with E[(p − p̄)³] ≈ 2p̄(1 − p̄)(1 − 2p̄)/(a + β)², is under 1e-8 of the value for the m and u
 * here. Such fits are the ones whose series overflows (a in the tens of thousands and more: BG/NBD on six months of a
 * shop's data gave a = 86,214, b = 5.6e6), where the quadrature took seconds on the main thread.
 */
const POINT_MASS_CONCENTRATION = 1e4;

/** E_p[(1 + p·u)^(−m)] for p ~ Beta(a, beta), u ≥ 0. */
export function betaPowerMean(m: number, a: number, beta: number, u: number): number {
  if (u <= 0) return 1;
  if (a * Math.log1p(u) > SERIES_MAX_EXPONENT)
    return a + beta >= POINT_MASS_CONCENTRATION
      ? betaPowerMeanNearPoint(m, a, beta, u)
      : betaPowerMeanByQuadrature(m, a, beta, u);
  return (1 + u) ** -a * hyp2f1(a + beta - m, a, a + beta, u / (1 + u));
}

/**
 * The same mean by the delta method to second order: f(p) = (1 + p·u)^(−m) at p̄ = a/(a + β) plus ½·f″(p̄)·Var(p),
 * f″(p) = m(m + 1)u²(1 + p·u)^(−m−2), Var(p) = p̄(1 − p̄)/(a + β + 1).
 */
export function betaPowerMeanNearPoint(m: number, a: number, beta: number, u: number): number {
  const mean = a / (a + beta);
  const variance = (mean * (1 - mean)) / (a + beta + 1);
  const base = 1 + mean * u;
  return base ** -m * (1 + (0.5 * m * (m + 1) * u * u * variance) / (base * base));
}

/**
 * The same mean as the integral ∫ (1 + p·u)^(−m) Beta(p; a, β) dp, by Simpson's rule in y = logit p, where the
 * density p^a (1 − p)^β dy has no endpoint singularity and is computed in logs (normalised by the same sum, so no
 * Beta function is needed). The range is the mode ln(a/β) ± 40 standard deviations of y (√(1/a + 1/β), its Laplace
 * approximation) plus 40/min(a, β) for the exponential tails of a small shape. Used where the series cannot be
 * evaluated in floating point (SERIES_MAX_EXPONENT).
 */
export function betaPowerMeanByQuadrature(m: number, a: number, beta: number, u: number): number {
  const mode = Math.log(a / beta);
  const half = 40 * Math.sqrt(1 / a + 1 / beta) + 40 / Math.min(a, beta);
  const steps = 4000; // even, as Simpson's rule needs
  const h = (2 * half) / steps;
  // ln p = −ln(1 + e^(−y)), ln(1 − p) = −ln(1 + e^y), without overflow.
  const logDensity = (y: number) => -a * logAddExp(0, -y) - beta * logAddExp(0, y);
  const peak = logDensity(mode);
  let mass = 0;
  let sum = 0;
  for (let i = 0; i <= steps; i++) {
    const y = mode - half + i * h;
    const weight = (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2) * Math.exp(logDensity(y) - peak);
    const p = 1 / (1 + Math.exp(-y));
    mass += weight;
    sum += weight * (1 + p * u) ** -m;
  }
  return sum / mass;
}

/** P(at least one purchase in (T + s, T + s + D] | alive at T, x) for a customer with x repeat purchases and age T. */
export function purchaseInWindowIfAlive(p: BgNbdParams, x: number, T: number, s: number, D: number): number {
  if (D <= 0) return 0;
  const m = p.r + x;
  const beta = p.b + x;
  const base = p.alpha + T;
  const first = betaPowerMean(m, p.a, beta, s / base);
  const second = (base / (base + D)) ** m * betaPowerMean(m, p.a, beta, s / (base + D));
  return Math.min(1, Math.max(0, first - second));
}

/** P(at least one purchase in (T + s, T + s + D] | x, t_x, T): the same times P(alive at T). */
export function purchaseInWindow(p: BgNbdParams, x: number, tx: number, T: number, s: number, D: number): number {
  return probabilityAlive(p, x, tx, T) * purchaseInWindowIfAlive(p, x, T, s, D);
}

/**
 * Simulated purchase times (days, pushed onto `times`) in (from, to] of a customer alive at `from` with x repeat
 * purchases and age T weeks, without drawing λ and p: after n more purchases in the t weeks since, λ ~ Gamma(r + x + n,
 * α + T + t), so the wait for the next purchase is Lomax, P(wait > g) = (β / (β + g))^m with m = r + x + n and
 * β = α + T + t, drawn by inversion; after it the customer drops out with E[p | x + n purchases survived] =
 * a / (a + b + x + n) (Beta-Bernoulli). The same law as drawing λ ~ Gamma(r + x, α + T) and p ~ Beta(a, b + x) once and
 * running the process, at one or two uniforms per purchase instead of three Gamma draws per customer.
 */
export function simulateFuturePurchases(
  p: BgNbdParams,
  x: number,
  T: number,
  from: number,
  to: number,
  rng: Random,
  times: number[],
): void {
  let shape = p.r + x;
  let scale = p.alpha + T;
  let survived = x;
  let t = from;
  for (;;) {
    const wait = scale * ((1 - rng.next()) ** (-1 / shape) - 1);
    t += 7 * wait;
    if (!(t <= to)) return;
    times.push(t);
    if (rng.next() < p.a / (p.a + p.b + survived)) return;
    shape += 1;
    scale += wait;
    survived += 1;
  }
}
