/** A trained forest as compact JSON (typed arrays in base64), so the model can live inside the warehouse. */
import type { ForestModel } from "./forest.ts";
import type { Tree } from "./tree.ts";

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

export function serializeForest(model: ForestModel): string {
  return JSON.stringify({
    format: "churn-forest/1",
    options: model.options,
    baseRate: model.baseRate,
    impurityImportance: model.impurityImportance,
    encoder: {
      names: model.encoder.names,
      categories: model.encoder.categories.map((c) => (c ? [...c.entries()] : null)),
      edges: model.encoder.edges.map((e) => b64(e)),
    },
    trees: model.trees.map((t: Tree) =>
      Object.fromEntries(Object.entries(t).map(([k, v]) => [k, b64(v as ArrayBufferView)])),
    ),
  });
}
