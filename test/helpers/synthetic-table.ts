/**
 * A seeded synthetic feature table for forest tests: two numeric features (one with 10% missing values) and a
 * categorical plan (5% missing), with churn more likely for high `a`, the basic plan, and missing or high `b`.
 */
import { createRandom } from "../../loaders/random.ts";
import type { FeatureTable } from "../../models/forest/dataset.ts";

export function syntheticTable(n: number, seed: number): { table: FeatureTable; labels: Uint8Array } {
  const rng = createRandom(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const plan: (string | null)[] = [];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = rng.next();
    b[i] = rng.next() < 0.1 ? Number.NaN : rng.next() * 10;
    plan.push(rng.next() < 0.05 ? null : ["basic", "pro", "enterprise"][Math.floor(rng.next() * 3)]!);
    const risk = a[i]! + (plan[i] === "basic" ? 0.4 : 0) + (Number.isNaN(b[i]!) ? 0.3 : b[i]! / 50);
    labels[i] = rng.next() < risk / 1.8 ? 1 : 0;
  }
  return { table: { names: ["a", "b", "plan"], columns: [a, b, plan], rows: n }, labels };
}
