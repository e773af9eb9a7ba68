/**
 * Nelder-Mead and the numerical Hessian on functions whose minimum and second derivatives are known analytically, and
 * the fits' minimiser on BG/NBD's ridge to infinity (a bounded Nelder-Mead after BFGS, no worse than a long run).
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../loaders/random.ts";
import {
  bfgs,
  hessianFromGradient,
  minimizeWithGradient,
  nelderMead,
  type Objective,
} from "../models/math/optimize.ts";
import { bgnbdObjective } from "../models/value/bgnbd.ts";

describe("nelderMead", () => {
  it("finds Rosenbrock's minimum (1, 1) from (−1.2, 1) (Rosenbrock 1960's standard start)", () => {
    const f = ([x, y]: number[]) => 100 * (y! - x! * x!) ** 2 + (1 - x!) ** 2;
    const result = nelderMead(f, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
    expect(result.fx).toBeLessThan(1e-10);
  });
  it("minimises a 4-parameter shifted quadratic exactly (minimum at c)", () => {
    const c = [0.3, -2, 5, 1.5];
    const f = (x: number[]) => x.reduce((s, v, i) => s + (i + 1) * (v - c[i]!) ** 2, 0);
    const result = nelderMead(f, [0, 0, 0, 0]);
    result.x.forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 5));
  });
  it("treats NaN and Infinity as worse than any finite value instead of wandering off", () => {
    const f = ([x]: number[]) => (x! < 0 ? Number.NaN : (x! - 2) ** 2);
    const result = nelderMead(f, [0.5]);
    expect(result.x[0]).toBeCloseTo(2, 5);
    expect(Number.isFinite(result.fx)).toBe(true);
  });
});

describe("bfgs", () => {
  it("finds Rosenbrock's minimum (1, 1) from (−1.2, 1) with the analytic gradient, in far fewer steps", () => {
    const fg = ([x, y]: number[]) => ({
      f: 100 * (y! - x! * x!) ** 2 + (1 - x!) ** 2,
      g: [-400 * x! * (y! - x! * x!) - 2 * (1 - x!), 200 * (y! - x! * x!)],
    });
    const result = bfgs(fg, [-1.2, 1], { gradientTolerance: 1e-9 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 7);
    expect(result.x[1]).toBeCloseTo(1, 7);
    expect(result.iterations).toBeLessThan(100);
  });
  it("minimises a badly scaled 4-parameter quadratic (minimum at c) and caps each step", () => {
    const c = [0.3, -2, 5, 1.5];
    const scale = [1, 100, 1e4, 0.01];
    const fg = (x: number[]) => ({
      f: x.reduce((s, v, i) => s + scale[i]! * (v - c[i]!) ** 2, 0),
      g: x.map((v, i) => 2 * scale[i]! * (v - c[i]!)),
    });
    const seen: number[][] = [];
    const result = bfgs(
      (x) => {
        seen.push(x);
        return fg(x);
      },
      [0, 0, 0, 0],
      { gradientTolerance: 1e-10, maxStep: 2 },
    );
    // Stopped once the step promises under 1e-12 in f: within 1e-5 even along the flattest axis (curvature 0.01).
    result.x.forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 4));
    // No trial point is more than maxStep from the one before it in any coordinate (the line search only shortens).
    expect(Math.max(...seen.slice(1).flatMap((x, k) => x.map((v, i) => Math.abs(v - seen[k]![i]!))))).toBeLessThan(4);
  });
  it("reports no convergence instead of looping when f is NaN everywhere but the start", () => {
    const result = bfgs((x) => (x[0] === 1 ? { f: 1, g: [1] } : { f: Number.NaN, g: [Number.NaN] }), [1], {
      gradientTolerance: 1e-9,
    });
    expect(result.converged).toBe(false);
  });
});

describe("hessianFromGradient", () => {
  it("matches the analytic Hessian of f(x, y) = x²y + 3y² + e^x at (0.5, 2)", () => {
    // ∇f = (2xy + e^x, x² + 6y); ∂²f/∂x² = 2y + e^x, ∂²f/∂x∂y = 2x, ∂²f/∂y² = 6
    const grad = ([x, y]: number[], g: number[]) => {
      g[0] = 2 * x! * y! + Math.exp(x!);
      g[1] = x! * x! + 6 * y!;
    };
    const H = hessianFromGradient(grad, [0.5, 2]);
    expect(H[0]![0]).toBeCloseTo(4 + Math.exp(0.5), 8);
    expect(H[0]![1]).toBeCloseTo(1, 8);
    expect(H[1]![0]).toBeCloseTo(1, 8);
    expect(H[1]![1]).toBeCloseTo(6, 8);
  });
});

describe("minimizeWithGradient on a likelihood whose maximum lies at infinity", () => {
  it("stops Nelder-Mead within its budget on BG/NBD's ridge, at the same log-likelihood as a long run", () => {
    // 1,000 seeded buyers, each at their own rate (0.07–0.42 a week) but with one dropout probability for all
    // (p = 0.03), seen 10–52 weeks: BG/NBD's a and b run off together (this seed stops BFGS short of converging).
    const rng = createRandom(1);
    const n = 1000;
    const data = { frequency: new Float64Array(n), recency: new Float64Array(n), T: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const lambda = 0.07 + rng.next() * 0.35;
      const T = 10 + rng.int(43);
      let t = 0;
      let x = 0;
      for (;;) {
        t += -Math.log(1 - rng.next()) / lambda;
        if (t > T) break;
        x++;
        data.recency[i] = t;
        if (rng.next() < 0.03) break;
      }
      data.frequency[i] = x;
      data.T[i] = T;
    }
    const objective = bgnbdObjective(data);
    let evaluations = 0;
    const counted: Objective = (x, g) => {
      evaluations++;
      return objective(x, g);
    };
    const fit = minimizeWithGradient(counted, [0, Math.log(5), 0, 0], { gradientTolerance: 1e-8 * n });
    expect(fit.x[2]!).toBeGreaterThan(8); // a > 3,000: the ridge
    // Restarts of at most 200 iterations (about 5 evaluations each); at 5,000 a restart, 87,000 evaluations.
    expect(evaluations).toBeLessThan(10_000);
    const long = nelderMead((x) => objective(x), fit.x, { maxIterations: 20_000 });
    expect(Math.abs(fit.fx - long.fx) / Math.abs(long.fx)).toBeLessThan(1e-6);
  });
});
