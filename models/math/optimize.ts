/**
 * Nelder-Mead simplex minimisation (Nelder & Mead 1965; the adaptive coefficients of Gao & Han 2012 for n > 2),
 * with restarts from the best point until two runs agree: robust for the smooth low-dimensional likelihoods here
 * (BG/NBD, Gamma-Gamma), which are fitted on log-parameters so every trial point is valid.
 */
export interface MinimizeResult {
  x: number[];
  fx: number;
  iterations: number;
  converged: boolean;
}

export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  options: { maxIterations?: number; tolerance?: number; step?: number } = {},
): MinimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 5000;
  const tol = options.tolerance ?? 1e-10;
  const alpha = 1,
    gamma = 1 + 2 / n,
    rho = 0.75 - 1 / (2 * n),
    sigma = 1 - 1 / n;
  const safe = (x: number[]) => {
    const v = f(x);
    return Number.isFinite(v) ? v : Number.MAX_VALUE;
  };
  let best = { x: x0.slice(), fx: safe(x0) };
  let total = 0;
  let converged = false;
  for (let restart = 0; restart < 5; restart++) {
    const step = options.step ?? 0.5;
    let simplex = [
      best.x.slice(),
      ...Array.from({ length: n }, (_, i) => best.x.map((v, j) => (i === j ? v + step : v))),
    ];
    let values = simplex.map(safe);
    let it = 0;
    for (; it < maxIterations; it++) {
      const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
      simplex = order.map((i) => simplex[i]!);
      values = order.map((i) => values[i]!);
      if (Math.abs(values[n]! - values[0]!) <= tol * (Math.abs(values[0]!) + tol) && maxSpread(simplex) < 1e-9) break;
      const centroid = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]![j]! / n;
      const worst = simplex[n]!;
      const reflect = centroid.map((c, j) => c + alpha * (c - worst[j]!));
      const fr = safe(reflect);
      if (fr < values[0]!) {
        const expand = centroid.map((c, j) => c + gamma * (reflect[j]! - c));
        const fe = safe(expand);
        if (fe < fr) [simplex[n], values[n]] = [expand, fe];
        else [simplex[n], values[n]] = [reflect, fr];
      } else if (fr < values[n - 1]!) {
        [simplex[n], values[n]] = [reflect, fr];
      } else {
        const outside = fr < values[n]!;
        const contract = centroid.map((c, j) => c + rho * ((outside ? reflect[j]! : worst[j]!) - c));
        const fc = safe(contract);
        if (fc < (outside ? fr : values[n]!)) [simplex[n], values[n]] = [contract, fc];
        else {
          for (let i = 1; i <= n; i++) {
            simplex[i] = simplex[i]!.map((v, j) => simplex[0]![j]! + sigma * (v - simplex[0]![j]!));
            values[i] = safe(simplex[i]!);
          }
        }
      }
    }
    total += it;
    const i0 = values.indexOf(Math.min(...values));
    const improved = best.fx - values[i0]!;
    best = { x: simplex[i0]!, fx: values[i0]! };
    if (restart > 0 && Math.abs(improved) <= tol * (Math.abs(best.fx) + tol)) {
      converged = true;
      break;
    }
  }
  return { x: best.x, fx: best.fx, iterations: total, converged };
}

function maxSpread(simplex: number[][]): number {
  let m = 0;
  for (let i = 1; i < simplex.length; i++)
    for (let j = 0; j < simplex[0]!.length; j++) m = Math.max(m, Math.abs(simplex[i]![j]! - simplex[0]![j]!));
  return m;
}

/** Central-difference Hessian of f at x (step h relative to max(1, |x_i|)). */
export function numericalHessian(f: (x: number[]) => number, x: number[], h = 1e-4): number[][] {
  const n = x.length;
  const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const at = (di: number, dj: number, i: number, j: number) => {
    const y = x.slice();
    y[i]! += di;
    y[j]! += dj;
    return f(y);
  };
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const hi = h * Math.max(1, Math.abs(x[i]!));
      const hj = h * Math.max(1, Math.abs(x[j]!));
      const v = (at(hi, hj, i, j) - at(hi, -hj, i, j) - at(-hi, hj, i, j) + at(-hi, -hj, i, j)) / (4 * hi * hj);
      H[i]![j] = v;
      H[j]![i] = v;
    }
  }
  return H;
}
