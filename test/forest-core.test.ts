/**
 * The forest's parts on constructed data: metrics against hand computation, a tree that separates perfectly,
 * missing values and categories, determinism, and a cross-check against ml-random-forest on the same folds.
 */
import { describe, expect, it } from "vitest";
import { RandomForestClassifier } from "ml-random-forest";
import { createRandom } from "../loaders/random.ts";
import { averagePrecision, bestValueThreshold, brierScore, liftByDecile, rocAuc } from "../models/math/metrics.ts";
import type { FeatureTable } from "../models/forest/dataset.ts";
import { crossValidate, stratifiedFolds } from "../models/forest/evaluate.ts";
import { predictForest, trainForest } from "../models/forest/forest.ts";

const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe("metrics", () => {
  it("ROC-AUC is the Mann-Whitney probability with ties counted half (Hanley & McNeil 1982)", () => {
    // Pairs (pos, neg): (0.8,0.1) win, (0.8,0.4) win, (0.4,0.1) win, (0.4,0.4) tie → (3 + 0.5) / 4
    expect(rocAuc([0.1, 0.4, 0.4, 0.8], [0, 0, 1, 1])).toBe(0.875);
  });
  it("average precision as scikit-learn defines it (its docs example: 0.8333)", () => {
    // sklearn.metrics.average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.8333…
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.8333333333, 9);
  });
  it("Brier score is the mean squared error of the probabilities", () => {
    expect(brierScore([1, 0.5, 0], [1, 0, 0])).toBeCloseTo(0.25 / 3, 12);
  });
  it("picks the threshold that maximises expected saved value (hand-computed)", () => {
    // scores 0.9 (churner worth 1000), 0.8 (stays, 500), 0.6 (churner worth 100), 0.2 (churner worth 50);
    // save rate 0.5, cost 60.
    // Contact top 1: 500 − 60 = 440; top 2: 440 − 60 = 380; top 3: 380 + 50 − 60 = 370;
    // top 4: 370 + 25 − 60 = 335 → best at 0.9.
    expect(bestValueThreshold([0.9, 0.8, 0.6, 0.2], [1, 0, 1, 1], [1000, 500, 100, 50], 0.5, 60)).toEqual({
      threshold: 0.9,
      savedValue: 440,
      contacted: 1,
    });
    // With cheap contacts everyone is worth a call: 500 − 1 − 1 + 49 + 24 = 571 at threshold 0.2.
    expect(bestValueThreshold([0.9, 0.8, 0.6, 0.2], [1, 0, 1, 1], [1000, 500, 100, 50], 0.5, 1)).toEqual({
      threshold: 0.2,
      savedValue: 571,
      contacted: 4,
    });
  });

  it("gains reach 100% by the last decile", () => {
    const rng = createRandom(1);
    const s = Array.from({ length: 1000 }, () => rng.next());
    const y = s.map((p) => (rng.next() < p ? 1 : 0));
    const lift = liftByDecile(s, y);
    expect(lift.at(-1)!.cumulativeGain).toBeCloseTo(1, 12);
    expect(lift[0]!.lift).toBeGreaterThan(1.5);
  });
});

function synthetic(n: number, seed: number): { table: FeatureTable; labels: Uint8Array } {
  const rng = createRandom(seed);
  const a = new Float64Array(n),
    b = new Float64Array(n),
    noise = new Float64Array(n);
  const plan: (string | null)[] = [];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = rng.normal();
    b[i] = rng.next() < 0.1 ? NaN : rng.normal();
    noise[i] = rng.normal();
    plan.push(["basic", "pro", "enterprise", null][rng.int(4)]!);
    const logit = 1.5 * a[i]! + (Number.isNaN(b[i]!) ? 1 : -b[i]!) + (plan[i] === "basic" ? 1 : 0) - 0.5;
    labels[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { table: { names: ["a", "b", "noise", "plan"], columns: [a, b, noise, plan], rows: n }, labels };
}

describe("random forest", () => {
  it("separates a perfectly separable set", async () => {
    const x = Float64Array.from({ length: 200 }, (_, i) => i);
    const labels = Uint8Array.from({ length: 200 }, (_, i) => (i >= 120 ? 1 : 0));
    const model = await trainForest({ names: ["x"], columns: [x], rows: 200 }, labels, all(200), {
      trees: 5,
      maxDepth: 4,
      minLeaf: 1,
      seed: 3,
    });
    const p = predictForest(model, { names: ["x"], columns: [x], rows: 200 });
    expect(rocAuc(p, labels)).toBe(1);
    expect(p[0]).toBeLessThan(0.2);
    expect(p[199]).toBeGreaterThan(0.8);
  });

  it("uses missing values and categories, ranks the noise last, and is deterministic for a seed", async () => {
    const { table, labels } = synthetic(3000, 11);
    const options = { trees: 60, maxDepth: 8, minLeaf: 5, seed: 5 };
    const e1 = await crossValidate(table, labels, 3, options);
    const e2 = await crossValidate(table, labels, 3, options);
    expect(Array.from(e1.outOfFold)).toEqual(Array.from(e2.outOfFold));
    expect(e1.auc).toBeGreaterThan(0.75);
    expect(e1.permutationImportances.at(-1)!.feature).toBe("noise");
    expect(e1.permutationImportances.find((i) => i.feature === "plan")!.importance).toBeGreaterThan(0);
    const e3 = await crossValidate(table, labels, 3, { ...options, seed: 6 });
    expect(Array.from(e3.outOfFold)).not.toEqual(Array.from(e1.outOfFold));
  });

  it("gives the same forest on one thread and on two worker threads", async () => {
    const { table, labels } = synthetic(3000, 31);
    const options = { trees: 80, maxDepth: 8, minLeaf: 5, seed: 4 };
    const saved = process.env["CHURN_FOREST_WORKERS"];
    try {
      process.env["CHURN_FOREST_WORKERS"] = "1";
      const one = predictForest(await trainForest(table, labels, all(3000), options), table);
      process.env["CHURN_FOREST_WORKERS"] = "2";
      const two = predictForest(await trainForest(table, labels, all(3000), options), table);
      expect(Array.from(two)).toEqual(Array.from(one));
    } finally {
      if (saved === undefined) delete process.env["CHURN_FOREST_WORKERS"];
      else process.env["CHURN_FOREST_WORKERS"] = saved;
    }
  });

  it("agrees with ml-random-forest on the same folds (ROC-AUC within 0.01, issue 5's cross-check)", async () => {
    const n = 1500;
    const { table, labels } = synthetic(n, 21);
    // ml-random-forest has no missing values or text: give both the same numeric matrix. It draws features per tree,
    // not per split, so compare both as bagged CART on all features (mtry = all), the algorithm they share.
    const b = table.columns[1] as Float64Array;
    const numeric: FeatureTable = {
      names: ["a", "b", "bMissing", "noise", "basic"],
      columns: [
        table.columns[0] as Float64Array,
        Float64Array.from(b, (v) => (Number.isNaN(v) ? 0 : v)),
        Float64Array.from(b, (v) => (Number.isNaN(v) ? 1 : 0)),
        table.columns[2] as Float64Array,
        Float64Array.from(table.columns[3] as (string | null)[], (v) => (v === "basic" ? 1 : 0)),
      ],
      rows: n,
    };
    const folds = stratifiedFolds(labels, 5, 9);
    const ours = new Float64Array(n),
      theirs = new Float64Array(n);
    for (let f = 0; f < 5; f++) {
      const train = all(n).filter((i) => folds[i] !== f);
      const test = all(n).filter((i) => folds[i] === f);
      const model = await trainForest(numeric, labels, train, { trees: 60, maxDepth: 8, minLeaf: 3, mtry: 5, seed: 2 });
      predictForest(model, numeric, test).forEach((p, q) => (ours[test[q]!] = p));
      const row = (i: number) => numeric.columns.map((c) => (c as Float64Array)[i]!);
      const ml = new RandomForestClassifier({
        nEstimators: 60,
        maxFeatures: 1.0,
        seed: 2,
        treeOptions: { maxDepth: 8, minNumSamples: 6 },
        useSampleBagging: true,
      });
      ml.train(
        Array.from(train, row),
        Array.from(train, (i) => labels[i]!),
      );
      ml.predictProbability(Array.from(test, row), 1).forEach((p: number, q: number) => (theirs[test[q]!] = p));
    }
    const [aucOurs, aucTheirs] = [rocAuc(ours, labels), rocAuc(theirs, labels)];
    expect(aucOurs).toBeGreaterThan(0.7);
    expect(Math.abs(aucOurs - aucTheirs), `ours ${aucOurs}, ml-random-forest ${aucTheirs}`).toBeLessThan(0.01);
  }, 400_000);
});
