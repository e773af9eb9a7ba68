/**
 * Nelder-Mead and the numerical Hessian on functions whose minimum and second derivatives are known analytically.
 */
import { describe, expect, it } from "vitest";
import { nelderMead, numericalHessian } from "../models/math/optimize.ts";

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

describe("numericalHessian", () => {
  it("matches the analytic Hessian of f(x, y) = x²y + 3y² + e^x at (0.5, 2)", () => {
    const f = ([x, y]: number[]) => x! * x! * y! + 3 * y! * y! + Math.exp(x!);
    const H = numericalHessian(f, [0.5, 2]);
    // ∂²f/∂x² = 2y + e^x, ∂²f/∂x∂y = 2x, ∂²f/∂y² = 6
    expect(H[0]![0]).toBeCloseTo(4 + Math.exp(0.5), 5);
    expect(H[0]![1]).toBeCloseTo(1, 5);
    expect(H[1]![0]).toBeCloseTo(1, 5);
    expect(H[1]![1]).toBeCloseTo(6, 5);
  });
});
