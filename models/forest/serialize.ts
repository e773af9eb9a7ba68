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

const TREE_ARRAYS = {
  feature: Int32Array,
  threshold: Float64Array,
  missingLeft: Uint8Array,
  left: Int32Array,
  right: Int32Array,
  value: Float64Array,
  weight: Float64Array,
} as const;

/** Decode base64 into a fresh typed array of the given kind (copied, so it is aligned). */
function fromB64<T extends { BYTES_PER_ELEMENT: number; new (buffer: ArrayBuffer): unknown }>(
  text: string,
  kind: T,
): InstanceType<T> {
  const bytes = Buffer.from(text, "base64");
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (buffer.byteLength % kind.BYTES_PER_ELEMENT !== 0) throw new Error("stored forest: a typed array is truncated");
  return new kind(buffer) as InstanceType<T>;
}

/** The forest serializeForest wrote, ready to predict; refuses another format. */
export function deserializeForest(json: string): ForestModel {
  const stored = JSON.parse(json) as {
    format: string;
    options: ForestModel["options"];
    baseRate: number;
    impurityImportance: number[];
    encoder: { names: string[]; categories: ([string, number][] | null)[]; edges: string[] };
    trees: Record<keyof typeof TREE_ARRAYS, string>[];
  };
  if (stored.format !== "churn-forest/1") throw new Error(`stored forest: unknown format ${stored.format}`);
  return {
    options: stored.options,
    baseRate: stored.baseRate,
    impurityImportance: stored.impurityImportance,
    encoder: {
      names: stored.encoder.names,
      categories: stored.encoder.categories.map((c) => (c ? new Map(c) : null)),
      edges: stored.encoder.edges.map((e) => fromB64(e, Float64Array)),
    },
    trees: stored.trees.map(
      (t) =>
        Object.fromEntries(
          (Object.keys(TREE_ARRAYS) as (keyof typeof TREE_ARRAYS)[]).map((k) => [k, fromB64(t[k], TREE_ARRAYS[k])]),
        ) as unknown as Tree,
    ),
  };
}
