/**
 * Gauss 2F1 against closed forms (Abramowitz & Stegun 15.1.3, 15.1.6, 15.1.8) that share no code with the series.
 */
import { describe, expect, it } from "vitest";
import { hyp2f1 } from "../models/math/hypergeometric.ts";

describe("hyp2f1", () => {
  it("2F1(1, 1; 2; z) = −ln(1 − z) / z (A&S 15.1.3)", () => {
    for (const z of [0.01, 0.3, 0.7, 0.95]) expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 12);
  });
  it("2F1(a, b; b; z) = (1 − z)^−a (A&S 15.1.8)", () => {
    for (const [a, z] of [
      [0.243, 0.5],
      [2.5, 0.2],
      [7.3, 0.9],
    ] as const)
      expect(Math.abs(hyp2f1(a, 3.1, 3.1, z) / (1 - z) ** -a - 1)).toBeLessThan(1e-12);
  });
  it("2F1(1/2, 1/2; 3/2; z²) = arcsin(z) / z (A&S 15.1.6)", () => {
    for (const z of [0.1, 0.5, 0.9]) expect(hyp2f1(0.5, 0.5, 1.5, z * z)).toBeCloseTo(Math.asin(z) / z, 12);
  });
  it("is 1 at z = 0 and refuses z outside [0, 1)", () => {
    expect(hyp2f1(3, 4, 5, 0)).toBe(1);
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, Number.NaN)).toThrow(RangeError);
  });
});
