/**
 * The final churn model is a forest of forests (forestOfForests): trees drawn from the cross-validation's fold
 * forests, each kept with its own encoder. Checked against the one-row walkers of tree.ts, computed independently:
 * its probability is the plain mean of its trees' leaf values (each tree reading the row through its own member's
 * encoder), its Saabas contributions the mean of the trees' path contributions; it takes distinct tree indices from
 * each member; and it survives the warehouse's JSON round trip.
 */
import { describe, expect, it } from "vitest";
import type { FeatureTable } from "../models/forest/dataset.ts";
import { syntheticTable } from "./helpers/synthetic-table.ts";
import {
  encodeRows,
  forestOfForests,
  predictForest,
  scoreRows,
  trainForest,
  type ForestModel,
} from "../models/forest/forest.ts";
import { deserializeForest, serializeForest } from "../models/forest/serialize.ts";
import { addContributions, predictTree } from "../models/forest/tree.ts";

async function foldForests(): Promise<{ forests: ForestModel[]; fresh: FeatureTable }> {
  const { table: t, labels } = syntheticTable(1500, 5);
  const options = { trees: 12, maxDepth: 6, minLeaf: 5, seed: 3 };
  const forests: ForestModel[] = [];
  for (let f = 0; f < 3; f++) {
    const rows = Uint32Array.from({ length: t.rows }, (_, i) => i).filter((i) => i % 3 !== f);
    forests.push(await trainForest(t, labels, rows, options));
  }
  const fresh = syntheticTable(200, 6).table;
  (fresh.columns[2] as (string | null)[])[0] = "a plan never seen";
  return { forests, fresh };
}

describe("forest of forests", () => {
  it("predicts the mean of its trees, each tree reading rows through its own forest's encoder", async () => {
    const { forests, fresh } = await foldForests();
    // The members' category codes differ (each fold codes categories by its own churn rates), so a shared encoder
    // would be wrong: this is what the test would catch.
    const model = forestOfForests(forests, 4);
    expect(model.options.trees).toBe(12);
    const F = fresh.names.length;
    const expected = new Float64Array(fresh.rows);
    const expectedContributions = new Float64Array(fresh.rows * F);
    for (const [m, forest] of forests.entries()) {
      const encoded = encodeRows(forest, fresh);
      for (const tree of forest.trees.slice(4 * m, 4 * m + 4)) {
        for (let i = 0; i < fresh.rows; i++) {
          const row = encoded.subarray(i * F, (i + 1) * F);
          expected[i]! += predictTree(tree, row) / 12;
          const c = new Float64Array(F);
          addContributions(tree, row, c);
          for (let f = 0; f < F; f++) expectedContributions[i * F + f]! += c[f]! / 12;
        }
      }
    }
    const got = predictForest(model, fresh);
    got.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 12));
    const scored = scoreRows(model, fresh);
    scored.probabilities.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 12));
    scored.contributions.forEach((c, q) => expect(c).toBeCloseTo(expectedContributions[q]!, 12));
  });

  it("scores as its members scored one by one, where a number column's bins are shared between members", async () => {
    const { table: base, labels } = syntheticTable(1500, 7);
    // A count with five values, all in every fold: every member bins it with the same edges, so its bins are reused.
    const calls = Float64Array.from({ length: base.rows }, (_, i) => i % 5);
    const t: FeatureTable = { names: [...base.names, "calls"], columns: [...base.columns, calls], rows: base.rows };
    const forests: ForestModel[] = [];
    for (let f = 0; f < 3; f++) {
      const rows = Uint32Array.from({ length: t.rows }, (_, i) => i).filter((i) => i % 3 !== f);
      forests.push(await trainForest(t, labels, rows, { trees: 10, maxDepth: 6, minLeaf: 5, seed: 4 }));
    }
    const F = t.names.length;
    const edges = (m: ForestModel) => Array.from(m.encoder.edges[F - 1]!);
    expect(forests.map(edges)).toEqual([edges(forests[0]!), edges(forests[0]!), edges(forests[0]!)]);
    expect(Array.from(forests[0]!.encoder.edges[0]!)).not.toEqual(Array.from(forests[1]!.encoder.edges[0]!));
    const model = forestOfForests(forests, 10);
    const scored = scoreRows(model, t);
    const alone = forests.map((m) => scoreRows(m, t));
    for (let i = 0; i < t.rows; i++)
      expect(scored.probabilities[i]).toBeCloseTo(
        alone.reduce((s, a) => s + a.probabilities[i]! / 3, 0),
        12,
      );
    for (let q = 0; q < t.rows * F; q++)
      expect(scored.contributions[q]).toBeCloseTo(
        alone.reduce((s, a) => s + a.contributions[q]! / 3, 0),
        12,
      );
  });

  it("takes distinct tree indices from each member (trees 4m … 4m + 3 of member m)", async () => {
    const { forests } = await foldForests();
    const model = forestOfForests(forests, 4);
    model.members!.forEach((member, m) => expect(member.trees).toEqual(forests[m]!.trees.slice(4 * m, 4 * m + 4)));
  });

  it("round-trips through the stored JSON to identical predictions", async () => {
    const { forests, fresh } = await foldForests();
    const model = forestOfForests(forests, 4);
    const restored = deserializeForest(serializeForest(model));
    expect(restored.members).toHaveLength(3);
    expect(Array.from(predictForest(restored, fresh))).toEqual(Array.from(predictForest(model, fresh)));
    expect(Array.from(scoreRows(restored, fresh).contributions)).toEqual(
      Array.from(scoreRows(model, fresh).contributions),
    );
  });
});
