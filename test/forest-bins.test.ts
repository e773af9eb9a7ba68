/**
 * The forest's quantile bin edges (dataset.ts fitTrainingEncoding) keep their own pick of order statistics,
 * x₍⌊n·p⌋₎ with p = b/254, instead of simple-statistics' quantileSorted (R type 7, linear interpolation between
 * x₍⌊(n−1)p⌋₎ and the next order statistic): an edge must be a value seen in training. Checked against
 * simple-statistics: ⌊n·p⌋ is ⌊(n−1)p⌋ or one more, so each edge is one of the two order statistics around the type-7
 * quantile and differs from it by at most their gap.
 */
import { quantileSorted } from "simple-statistics";
import { describe, expect, it } from "vitest";
import { createRandom } from "../loaders/random.ts";
import { binOf, type FeatureTable, fitTrainingEncoding, MAX_BINS } from "../models/forest/dataset.ts";

describe("forest bin edges", () => {
  it("are data values within one order statistic of simple-statistics' quantiles", () => {
    const random = createRandom(42);
    const n = 10_007;
    const values = Float64Array.from({ length: n }, () => random.next() * 1e4); // continuous: no ties
    const table: FeatureTable = { names: ["x"], columns: [values], rows: n };
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    const edges = fitTrainingEncoding(table, new Uint8Array(n), rows).encoder.edges[0]!;
    const sorted = Array.from(values).sort((a, b) => a - b);
    expect(edges.length).toBe(MAX_BINS - 2); // 253 distinct edges
    for (let b = 1; b < MAX_BINS - 1; b++) {
      const p = b / (MAX_BINS - 1);
      const k = Math.floor((n - 1) * p);
      const edge = edges[b - 1]!;
      expect([sorted[k], sorted[k + 1]]).toContain(edge);
      expect(Math.abs(edge - quantileSorted(sorted, p))).toBeLessThanOrEqual(sorted[k + 1]! - sorted[k]!);
    }
  });

  it("binOf is 1 + the number of edges below the value (0 for missing), ties and every edge count", () => {
    // The definition counted directly, against binOf's branch-free binary search: every length of edges from 0 to
    // 256, each edge, its neighbours and the extremes.
    const wrong: string[] = [];
    for (let length = 0; length <= 256; length++) {
      const edges = Float64Array.from({ length }, (_, k) => k * 2 - 100);
      const probes = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, -0, 0, -101, 600];
      for (const e of edges) probes.push(e, e - 1, e + 1, e - 1e-9, e + 1e-9);
      for (const v of probes) {
        const counted = 1 + edges.filter((e) => e < v).length;
        if (binOf(edges, v) !== counted) wrong.push(`${length} edges, ${v}: ${binOf(edges, v)} not ${counted}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(binOf(Float64Array.of(1, 2), Number.NaN)).toBe(0);
  });
});
