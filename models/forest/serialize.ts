/**
 * A trained forest as compact JSON (typed arrays in base64), so the model can live inside the warehouse. A forest of
 * forests (forestOfForests) stores its members, each with its own encoder, under `members`.
 */
import { z } from "zod";
import type { ForestModel } from "./forest.ts";
import type { Tree } from "./tree.ts";

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

export function serializeForest(model: ForestModel): string {
  return JSON.stringify({ format: "churn-forest/1", ...storedForm(model) });
}

function storedForm(model: ForestModel): Record<string, unknown> {
  return {
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
    ...(model.members ? { members: model.members.map(storedForm) } : {}),
  };
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

/** The stored JSON's shape, checked before use: a hand-edited or truncated model is refused, not half-read. */
const StoredMember = z.object({
  options: z.looseObject({ trees: z.number(), maxDepth: z.number(), minLeaf: z.number(), seed: z.number() }),
  baseRate: z.number(),
  impurityImportance: z.array(z.number()),
  encoder: z.object({
    names: z.array(z.string()),
    categories: z.array(z.array(z.tuple([z.string(), z.number()])).nullable()),
    edges: z.array(z.string()),
  }),
  trees: z.array(z.record(z.enum(Object.keys(TREE_ARRAYS) as (keyof typeof TREE_ARRAYS)[]), z.string())),
});
/** A forest of forests keeps its members one level down (forestOfForests never nests deeper). */
const StoredForest = StoredMember.extend({ members: z.array(StoredMember).min(1).optional() });
type StoredForest = z.infer<typeof StoredForest>;

/** The forest serializeForest wrote, ready to predict; refuses another format or a malformed one. */
export function deserializeForest(json: string): ForestModel {
  const raw = JSON.parse(json) as { format?: unknown };
  if (raw?.format !== "churn-forest/1") throw new Error(`stored forest: unknown format ${String(raw?.format)}`);
  const parsed = StoredForest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`stored forest: ${issue.path.join(".") || "the model"}: ${issue.message}`);
  }
  return fromStored(parsed.data);
}

function fromStored(stored: z.infer<typeof StoredMember> & { members?: StoredForest[] }): ForestModel {
  return {
    options: stored.options as ForestModel["options"],
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
    ...(stored.members ? { members: stored.members.map(fromStored) } : {}),
  };
}
