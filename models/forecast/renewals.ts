/**
 * Renewals of customers who pay at a regular cycle (a monthly invoice, a weekly box): the shifted-beta-geometric model
 * (sBG; Fader & Hardie 2007, "How to Project Customer Retention", J. Interactive Marketing 21(1)). At each renewal a
 * customer with churn probability θ leaves with probability θ, θ ~ Beta(α, β) across customers, so
 *   S(t) = P(survive t renewals) = B(α, β + t) / B(α, β),   P(T = t) = B(α + 1, β + t − 1) / B(α, β)
 * and, given t renewals survived, θ ~ Beta(α, β + t): P(survive j more) = B(α, β + t + j) / B(α, β + t).
 * The fit is by maximum likelihood on each customer's renewals: `renewed` renewals survived and then either lost
 * (churned at renewal renewed + 1) or still running (censored). Customers are only counted as regular after
 * `truncation` renewals, so each term is divided by S(truncation) (left truncation; the paper's cohorts start at 0).
 */
import { UserError } from "../../loaders/errors.ts";
import { digamma, logBeta } from "../math/distributions.ts";
import { cholesky, inverseSpd } from "../math/linear-algebra.ts";
import { hessianFromGradient, minimizeWithGradient, type Objective } from "../math/optimize.ts";
import type { Random } from "../../loaders/random.ts";

export interface RenewalParams {
  alpha: number;
  beta: number;
}

export interface RenewalModel {
  params: RenewalParams;
  /** Lower Cholesky factor of the log-parameters' covariance (null: the Hessian was not positive definite). */
  logCholesky: number[][] | null;
  customers: number;
  churned: number;
}

/** Customers grouped by renewals survived: how many were lost at the next renewal, how many are still running. */
export interface RenewalHistory {
  renewed: number;
  lost: number;
  running: number;
}

/** ln S(t) = ln B(α, β + t) − ln B(α, β). */
export function logRenewalSurvival(p: RenewalParams, t: number): number {
  return logBeta(p.alpha, p.beta + t) - logBeta(p.alpha, p.beta);
}

/** P(survive `more` renewals | survived `renewed`) = B(α, β + renewed + more) / B(α, β + renewed). */
export function renewalSurvival(p: RenewalParams, renewed: number, more: number): number {
  if (more <= 0) return 1;
  return Math.exp(logBeta(p.alpha, p.beta + renewed + more) - logBeta(p.alpha, p.beta + renewed));
}

/** −log-likelihood on (ln α, ln β), with its gradient. */
function renewalObjective(history: RenewalHistory[], truncation: number): Objective {
  return (x, gradient) => {
    const alpha = Math.exp(x[0]!);
    const beta = Math.exp(x[1]!);
    // ∂/∂α and ∂/∂β of ln B(a, b) at (a, b) = (α + da, β + db): ψ(a) − ψ(a + b), ψ(b) − ψ(a + b).
    const lb0 = logBeta(alpha, beta + truncation);
    const g0a = digamma(alpha) - digamma(alpha + beta + truncation);
    const g0b = digamma(beta + truncation) - digamma(alpha + beta + truncation);
    let ll = 0;
    let ga = 0;
    let gb = 0;
    for (const h of history) {
      const t = h.renewed;
      if (h.lost > 0) {
        // P(T = t + 1) / S(truncation) = B(α + 1, β + t) / B(α, β + truncation).
        ll += h.lost * (logBeta(alpha + 1, beta + t) - lb0);
        const sum = digamma(alpha + beta + t + 1);
        ga += h.lost * (digamma(alpha + 1) - sum - g0a);
        gb += h.lost * (digamma(beta + t) - sum - g0b);
      }
      if (h.running > 0) {
        // S(t) / S(truncation) = B(α, β + t) / B(α, β + truncation).
        ll += h.running * (logBeta(alpha, beta + t) - lb0);
        const sum = digamma(alpha + beta + t);
        ga += h.running * (digamma(alpha) - sum - g0a);
        gb += h.running * (digamma(beta + t) - sum - g0b);
      }
    }
    if (gradient) {
      gradient[0] = -ga * alpha;
      gradient[1] = -gb * beta;
    }
    return -ll;
  };
}

/**
 * Maximum-likelihood sBG fit of renewal histories (counts of customers by renewals survived and outcome), on the
 * log-parameters by BFGS with the analytic gradient; the covariance of the log-parameters is the inverse of the
 * observed information (differenced from the gradient), for the forecast's draws.
 */
export function fitRenewals(history: RenewalHistory[], truncation = 0): RenewalModel {
  const customers = history.reduce((s, h) => s + h.lost + h.running, 0);
  const churned = history.reduce((s, h) => s + h.lost, 0);
  if (customers < 2 || churned === 0)
    throw new UserError(`the renewal model needs lost customers (got ${churned} lost of ${customers})`);
  for (const h of history)
    if (h.renewed < truncation) throw new RangeError(`renewals ${h.renewed} below the truncation ${truncation}`);
  const objective = renewalObjective(history, truncation);
  const result = minimizeWithGradient(objective, [0, 0], { gradientTolerance: 1e-9 * Math.max(1, customers) });
  const params = { alpha: Math.exp(result.x[0]!), beta: Math.exp(result.x[1]!) };
  if (!Number.isFinite(params.alpha) || !Number.isFinite(params.beta) || !Number.isFinite(result.fx))
    throw new UserError("the renewal model did not converge to finite parameters");
  const cov = inverseSpd(hessianFromGradient(objective, result.x));
  const chol = cov ? cholesky(cov) : null;
  const ok = chol?.every((row) => row.every(Number.isFinite)) ?? false;
  return { params, logCholesky: ok ? chol : null, customers, churned };
}

/**
 * The renewal model when no regular customer has stopped yet, where the likelihood's maximum is a churn of 0: each
 * renewal is lost with θ ~ Beta(½, R + ½), Jeffreys' posterior for 0 losses in the R renewals observed after the
 * truncation (mean ½ ÷ (R + 1)), in place of the population's Beta. A forecast of no churn at all would be certain
 * of what 0 losses in R renewals cannot show.
 */
export function renewalsWithoutLosses(history: RenewalHistory[], truncation = 0): RenewalModel {
  const customers = history.reduce((s, h) => s + h.lost + h.running, 0);
  const observed = history.reduce((s, h) => s + (h.lost + h.running) * Math.max(0, h.renewed - truncation), 0);
  return { params: { alpha: 0.5, beta: observed + 0.5 }, logCholesky: null, customers, churned: 0 };
}

/** One draw of (α, β) from the fit's asymptotic law, normal on the log scale (the fit itself without a covariance). */
export function drawRenewalParams(model: RenewalModel, rng: Random): RenewalParams {
  const L = model.logCholesky;
  if (!L) return model.params;
  const z0 = rng.normal();
  const z1 = rng.normal();
  return {
    alpha: model.params.alpha * Math.exp(L[0]![0]! * z0),
    beta: model.params.beta * Math.exp(L[1]![0]! * z0 + L[1]![1]! * z1),
  };
}

/**
 * How many renewals a regular customer must make to be active `h` days from now, when "active" is a purchase in the
 * W days up to that day: 0 while the last purchase (`since` days ago) is within W of it; otherwise j, the last
 * scheduled renewal up to that day, when it falls within W of it; −1 when none does (a cycle longer than W leaves the
 * customer inactive between renewals). Renewals are due every `cycle` days from the last purchase; an overdue one is
 * due now.
 */
export function renewalsNeeded(cycle: number, since: number, h: number, w: number): number {
  if (since + h < w) return 0;
  const next = Math.max(cycle - since, 0);
  if (next > h) return -1;
  const j = Math.floor((h - next) / cycle) + 1;
  return next + (j - 1) * cycle > h - w ? j : -1;
}
