/**
 * The forest stored in the warehouse (churn_model) is read back by deserializeForest and predicts exactly what the
 * trained one did: a round trip on a seeded synthetic table with a categorical feature and missing values.
 */
import { describe, expect, it } from "vitest";
import { syntheticTable } from "./helpers/synthetic-table.ts";
import { predictForest, trainForest } from "../models/forest/forest.ts";
import { modelMismatch } from "../models/forest/score-stored.ts";
import { deserializeForest, serializeForest } from "../models/forest/serialize.ts";

describe("stored forest", () => {
  it("round-trips through JSON to identical predictions, including unseen categories and missing values", async () => {
    const { table: train, labels } = syntheticTable(1200, 3);
    const rows = Uint32Array.from({ length: train.rows }, (_, i) => i);
    const model = await trainForest(train, labels, rows, { trees: 25, maxDepth: 6, minLeaf: 5, seed: 9 });
    const { table: fresh } = syntheticTable(300, 4);
    (fresh.columns[2] as (string | null)[])[0] = "a plan never seen";
    const restored = deserializeForest(serializeForest(model));
    expect(Array.from(predictForest(restored, fresh))).toEqual(Array.from(predictForest(model, fresh)));
    expect(restored.trees.length).toBe(25);
    expect(restored.encoder.names).toEqual(["a", "b", "plan"]);
  });

  it("refuses another format", () => {
    expect(() => deserializeForest(JSON.stringify({ format: "other/9" }))).toThrow(/unknown format/);
  });

  it("refuses a malformed model, naming the field", async () => {
    const { table: train, labels } = syntheticTable(200, 5);
    const rows = Uint32Array.from({ length: train.rows }, (_, i) => i);
    const model = await trainForest(train, labels, rows, { trees: 3, maxDepth: 3, minLeaf: 5, seed: 1 });
    const stored = JSON.parse(serializeForest(model));
    stored.encoder.names = "a,b,plan";
    expect(() => deserializeForest(JSON.stringify(stored))).toThrow(/stored forest: encoder\.names:/);
    const noLeaves = JSON.parse(serializeForest(model));
    delete noLeaves.trees[1].value;
    expect(() => deserializeForest(JSON.stringify(noLeaves))).toThrow(/stored forest: trees\.1\.value:/);
  });
});

describe("does a stored forest still fit the warehouse's features?", () => {
  it("accepts the table it was trained on, refuses renamed, reordered, missing or retyped features", async () => {
    const { table: train, labels } = syntheticTable(200, 6);
    const rows = Uint32Array.from({ length: train.rows }, (_, i) => i);
    const model = await trainForest(train, labels, rows, { trees: 3, maxDepth: 3, minLeaf: 5, seed: 1 });
    const [a, b, plan] = train.columns;
    expect(modelMismatch(model, train)).toBeNull();
    expect(modelMismatch(model, { ...train, names: ["a", "b", "tier"] })).toBe(
      "its features differ from the warehouse's (the warehouse now gives tier; the model reads plan, which the " +
        "warehouse no longer gives)",
    );
    expect(modelMismatch(model, { ...train, names: ["b", "a", "plan"], columns: [b!, a!, plan!] })).toBe(
      "its features differ from the warehouse's (same names in another order)",
    );
    expect(modelMismatch(model, { ...train, names: ["a", "b"], columns: [a!, b!] })).toMatch(
      /the model reads plan, which the warehouse no longer gives/,
    );
    // plan arrives as numbers, b as text: neither can be binned by the stored encoder.
    const retyped = { ...train, columns: [a!, Array.from(b as Float64Array, String), new Float64Array(train.rows)] };
    expect(modelMismatch(model, retyped)).toBe("numeric and categorical features differ (b, plan)");
  });
});
