/**
 * Cox proportional hazards regression (Cox 1972) with Efron's method for tied event times (Efron 1977; the default
 * of R's coxph and lifelines), fitted by Newton-Raphson with step halving on centred covariates, until the
 * log-likelihood's relative change is under 1e-9 (R's coxph.control eps).
 * For an event time with d tied events D among the risk set R, l = 0…d−1, a = l/d:
 *   φ₀ = Σ_R e^{xβ} − a Σ_D e^{xβ}; likewise φ₁ (× x) and φ₂ (× xxᵀ);
 *   log L += Σ_D xβ − Σ_l log φ₀;  score += Σ_D x − Σ_l φ₁/φ₀;  information += Σ_l (φ₂/φ₀ − φ₁φ₁ᵀ/φ₀²).
 * Standard errors from the inverse information; Wald z and two-sided p; hazard ratios e^β with 95% bands;
 * Harrell's concordance index (ties in predicted risk count one half).
 */
import { normalCdf } from "../math/distributions.ts";
import { inverseSpd, solveSpd } from "../math/linear-algebra.ts";
import { mean } from "simple-statistics";

export interface CoxTerm {
  term: string;
  coef: number;
  se: number;
  hazardRatio: number;
  lower: number;
  upper: number;
  z: number;
  p: number;
}

export interface CoxFit {
  terms: CoxTerm[];
  logLik: number;
  concordance: number;
  iterations: number;
  converged: boolean;
  n: number;
  events: number;
}

/**
 * Log partial likelihood, score and information at beta. x is row-major n × p (centred); order lists the subjects by
 * time, longest first. Flat typed arrays: at a million subjects, arrays of row arrays made each pass several seconds.
 */
function partial(
  x: Float64Array,
  p: number,
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  order: Int32Array,
  beta: number[],
) {
  let loglik = 0;
  const grad = new Float64Array(p);
  const info = new Float64Array(p * p);
  const S1 = new Float64Array(p);
  const S2 = new Float64Array(p * p);
  const T1 = new Float64Array(p);
  const T2 = new Float64Array(p * p);
  let S0 = 0;
  // order: indices by time descending, so the risk set grows as we walk.
  for (let k = 0; k < order.length; ) {
    const t = time[order[k]!]!;
    let T0 = 0;
    T1.fill(0);
    T2.fill(0);
    let d = 0;
    let j = k;
    for (; j < order.length && time[order[j]!] === t; j++) {
      const i = order[j]!;
      const row = i * p;
      let eta = 0;
      for (let a = 0; a < p; a++) eta += x[row + a]! * beta[a]!;
      const w = Math.exp(eta);
      S0 += w;
      for (let a = 0; a < p; a++) {
        const wa = w * x[row + a]!;
        S1[a]! += wa;
        for (let b = 0; b <= a; b++) S2[a * p + b]! += wa * x[row + b]!;
      }
      if (event[i] === 1) {
        d++;
        loglik += eta;
        T0 += w;
        for (let a = 0; a < p; a++) {
          const wa = w * x[row + a]!;
          grad[a]! += x[row + a]!;
          T1[a]! += wa;
          for (let b = 0; b <= a; b++) T2[a * p + b]! += wa * x[row + b]!;
        }
      }
    }
    for (let l = 0; l < d; l++) {
      const f = l / d;
      const phi0 = S0 - f * T0;
      loglik -= Math.log(phi0);
      for (let a = 0; a < p; a++) {
        const phi1a = S1[a]! - f * T1[a]!;
        grad[a]! -= phi1a / phi0;
        for (let b = 0; b <= a; b++) {
          const phi1b = S1[b]! - f * T1[b]!;
          info[a * p + b]! += (S2[a * p + b]! - f * T2[a * p + b]!) / phi0 - (phi1a * phi1b) / (phi0 * phi0);
        }
      }
    }
    k = j;
  }
  const infoRows = Array.from({ length: p }, (_, a) =>
    Array.from({ length: p }, (_, b) => (b <= a ? info[a * p + b]! : info[b * p + a]!)),
  );
  return { loglik, grad: Array.from(grad), info: infoRows };
}

export function concordance(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  risk: ArrayLike<number>,
  maxSubjects = 4000,
): number {
  const n = time.length;
  const step = Math.max(1, Math.ceil(n / maxSubjects));
  let agree = 0,
    total = 0;
  for (let i = 0; i < n; i += step) {
    if (event[i] !== 1) continue;
    for (let j = 0; j < n; j += step) {
      if (time[j]! <= time[i]!) continue;
      total++;
      if (risk[i]! > risk[j]!) agree++;
      else if (risk[i] === risk[j]) agree += 0.5;
    }
  }
  return total ? agree / total : 0.5;
}

export function fitCox(
  x: number[][],
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  names: string[],
  maxIterations = 50,
): CoxFit {
  const n = x.length;
  const p = names.length;
  const means = names.map((_, a) => mean(x.map((row) => row[a]!)));
  const xc = new Float64Array(n * p);
  x.forEach((row, i) => {
    for (let a = 0; a < p; a++) xc[i * p + a] = row[a]! - means[a]!;
  });
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => time[b]! - time[a]!);
  let beta = new Array<number>(p).fill(0);
  let current = partial(xc, p, time, event, order, beta);
  let converged = false;
  let it = 0;
  for (; it < maxIterations; it++) {
    const step = solveSpd(current.info, current.grad);
    if (!step)
      throw new RangeError("Cox: the information matrix is singular (a covariate is constant or perfectly collinear)");
    let scale = 1;
    let next = beta.map((b, a) => b + step[a]!);
    let trial = partial(xc, p, time, event, order, next);
    while (!(trial.loglik >= current.loglik - 1e-12) && scale > 1e-6) {
      scale /= 2;
      next = beta.map((b, a) => b + scale * step[a]!);
      trial = partial(xc, p, time, event, order, next);
    }
    // R's coxph rule (coxph.control eps = 1e-9): the log-likelihood's relative change. An absolute 1e-10 is below the
    // rounding of a log-likelihood in the hundreds of thousands, which then ran all 50 iterations.
    const change = Math.abs(1 - current.loglik / trial.loglik);
    beta = next;
    current = trial;
    if (change < 1e-9) {
      converged = true;
      break;
    }
  }
  if (beta.some((b) => !Number.isFinite(b) || Math.abs(b) > 50))
    throw new RangeError("Cox: coefficients diverge (perfect separation of events by a covariate)");
  const cov = inverseSpd(current.info);
  if (!cov) throw new RangeError("Cox: the information matrix is singular");
  const risk = x.map((row) => row.reduce((s, v, a) => s + v * beta[a]!, 0));
  const terms = names.map((term, a) => {
    const se = Math.sqrt(cov[a]![a]!);
    const z = beta[a]! / se;
    return {
      term,
      coef: beta[a]!,
      se,
      hazardRatio: Math.exp(beta[a]!),
      lower: Math.exp(beta[a]! - 1.959963984540054 * se),
      upper: Math.exp(beta[a]! + 1.959963984540054 * se),
      z,
      p: 2 * (1 - normalCdf(Math.abs(z))),
    };
  });
  // A coefficient whose likelihood keeps rising (monotone likelihood: R's coxph warns that it "may be infinite")
  // converges to a large value with a huge standard error: its interval overflows. No hazard ratio can be reported.
  const unbounded = terms.find((t) => ![t.se, t.hazardRatio, t.lower, t.upper, t.z].every(Number.isFinite));
  if (unbounded)
    throw new RangeError(
      `Cox: the hazard ratio of ${unbounded.term} may be infinite (its churners and stayers barely overlap; too ` +
        "little history to compare)",
    );
  let events = 0;
  for (let i = 0; i < n; i++) events += event[i]!;
  return {
    terms,
    logLik: current.loglik,
    concordance: concordance(time, event, risk),
    iterations: it + 1,
    converged,
    n,
    events,
  };
}
