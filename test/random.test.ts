import { describe, expect, it } from "vitest";
import { createRandom, shuffle } from "../loaders/random.ts";

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
};
const draw = (n: number, f: () => number) => Array.from({ length: n }, f);

describe("seeded random numbers", () => {
  it("repeats the same sequence for the same seed and differs for another", () => {
    const a = draw(5, createRandom(7).next);
    expect(draw(5, createRandom(7).next)).toEqual(a);
    expect(draw(5, createRandom(8).next)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("is sfc32 seeded through splitmix32, as a plain re-implementation of both computes it", () => {
    // Independent reference: the textbook algorithms written out, 32-bit arithmetic with >>> 0 at every step.
    let s = 7 >>> 0;
    const splitmix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    let [a, b, c, d] = [splitmix(), splitmix(), splitmix(), splitmix()];
    const sfc = () => {
      const t = (a + b + d) >>> 0;
      d = (d + 1) >>> 0;
      a = (b ^ (b >>> 9)) >>> 0;
      b = (c + (c << 3)) >>> 0;
      c = (((c << 21) | (c >>> 11)) + t) >>> 0;
      return t;
    };
    for (let i = 0; i < 12; i++) sfc();
    expect(draw(1000, createRandom(7).next)).toEqual(draw(1000, () => sfc() / 4294967296));
  });

  it("fills Poisson(1) draws as that many poisson(1) calls would, leaving the generator where they leave it", () => {
    const filled = new Float64Array(5000);
    const one = createRandom(11);
    one.fillPoissonOne(filled);
    const other = createRandom(11);
    expect(Array.from(filled)).toEqual(draw(5000, () => other.poisson(1)));
    expect(draw(10, one.next)).toEqual(draw(10, other.next));
    expect(Math.abs(mean(Array.from(filled)) - 1)).toBeLessThan(0.05);
  });

  // Expected moments are the distributions' textbook values; 200k draws keep the standard error well under the
  // tolerance.
  it("gamma(shape, rate) has mean shape/rate and variance shape/rate² (shape < 1 and > 1)", () => {
    const rng = createRandom(1);
    for (const [shape, rate] of [
      [0.243, 4.414],
      [6.25, 15.44],
      [2, 0.5],
    ] as const) {
      const xs = draw(200_000, () => rng.gamma(shape, rate));
      expect(mean(xs)).toBeCloseTo(shape / rate, 1 + Math.max(0, Math.round(-Math.log10(shape / rate))));
      expect(variance(xs) / (shape / rate ** 2)).toBeGreaterThan(0.95);
      expect(variance(xs) / (shape / rate ** 2)).toBeLessThan(1.05);
    }
  });

  it("beta(a, b) has mean a/(a+b)", () => {
    const rng = createRandom(2);
    const xs = draw(200_000, () => rng.beta(0.793, 2.426));
    expect(Math.abs(mean(xs) - 0.793 / (0.793 + 2.426))).toBeLessThan(0.003);
  });

  it("poisson(mean) has mean and variance equal to its mean, below and above the PTRS switch", () => {
    const rng = createRandom(3);
    for (const m of [0.7, 12, 80]) {
      const xs = draw(200_000, () => rng.poisson(m));
      expect(Math.abs(mean(xs) - m) / m).toBeLessThan(0.01);
      expect(Math.abs(variance(xs) - m) / m).toBeLessThan(0.03);
    }
  });

  it("binomial(n, p) has mean np and variance np(1 − p), on both sides of p = 1/2, and exact edges", () => {
    const rng = createRandom(6);
    for (const [n, p] of [
      [40, 0.03],
      [1000, 0.2],
      [300, 0.9],
      [7, 0.5],
    ] as const) {
      const xs = draw(100_000, () => rng.binomial(n, p));
      expect(Math.abs(mean(xs) - n * p) / (n * p)).toBeLessThan(0.01);
      expect(Math.abs(variance(xs) / (n * p * (1 - p)) - 1)).toBeLessThan(0.03);
      expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x <= n)).toBe(true);
    }
    // P(X = 0) for Binomial(5, 0.1) = 0.9^5 = 0.59049.
    const zeros = draw(100_000, () => rng.binomial(5, 0.1)).filter((x) => x === 0).length / 100_000;
    expect(Math.abs(zeros - 0.59049)).toBeLessThan(0.006);
    expect([rng.binomial(9, 0), rng.binomial(9, 1), rng.binomial(0, 0.4)]).toEqual([0, 9, 0]);
    expect(() => rng.binomial(2.5, 0.1)).toThrow(RangeError);
  });

  it("normal() is standard", () => {
    const rng = createRandom(4);
    const xs = draw(200_000, () => rng.normal());
    expect(Math.abs(mean(xs))).toBeLessThan(0.01);
    expect(Math.abs(variance(xs) - 1)).toBeLessThan(0.02);
  });

  it("shuffle is a permutation", () => {
    const xs = shuffle(
      Array.from({ length: 100 }, (_, i) => i),
      createRandom(5),
    );
    expect([...xs].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(xs).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
