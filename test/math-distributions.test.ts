/** Special functions against published tables (Abramowitz & Stegun; R's qchisq/pnorm printed values). */
import { describe, expect, it } from "vitest";
import { chiSquareSurvival, digamma, logGamma, normalCdf, normalQuantile } from "../models/math/distributions.ts";

describe("distributions", () => {
  it("digamma: ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2, ψ(10) = H₉ − γ, ψ(0.1) (A&S 6.3.2, 6.3.3, 6.3.4)", () => {
    const gamma = 0.5772156649015329;
    expect(digamma(1)).toBeCloseTo(-gamma, 12);
    expect(digamma(0.5)).toBeCloseTo(-gamma - 2 * Math.log(2), 12);
    const h9 = Array.from({ length: 9 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
    expect(digamma(10)).toBeCloseTo(h9 - gamma, 12);
    // ψ(0.1) = ψ(1.1) − 10, ψ(1.1) = −0.4237549404110768 (A&S table 6.1).
    expect(digamma(0.1)).toBeCloseTo(-10.423754940411077, 11);
  });
  it("logGamma: Γ(5) = 24, Γ(0.5) = √π", () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });
  it("chi-square upper tail: 3.841459 (df 1) and 5.991465 (df 2) are 5% critical values (R qchisq(0.95, df))", () => {
    expect(chiSquareSurvival(3.841459, 1)).toBeCloseTo(0.05, 7);
    expect(chiSquareSurvival(5.991465, 2)).toBeCloseTo(0.05, 7);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });
  it("normal: Φ(1.959964) = 0.975 and its quantile (R pnorm / qnorm)", () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-1)).toBeCloseTo(0.158655253931457, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 9);
  });
});
