/** Special functions against published tables (Abramowitz & Stegun; R's qchisq/pnorm printed values). */
import { describe, expect, it } from "vitest";
import { chiSquareSurvival, logGamma, normalCdf, normalQuantile } from "../models/math/distributions.ts";

describe("distributions", () => {
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
