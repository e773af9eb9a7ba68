/**
 * Bootstrap row weights of one tree: Poisson(1) counts (the large-sample equivalent of drawing n rows with
 * replacement) times the class weight. Draws exactly as Random.poisson(1) does (Knuth's multiplication method:
 * multiply uniforms until the product falls to e^−1 or below), inlined because it runs once per training row and
 * tree. Rows outside the training rows get weight 0.
 */
import type { Random } from "../../loaders/random.ts";

const LIMIT = Math.exp(-1);

export function bootstrapWeights(
  rng: Random,
  trainRows: Uint32Array,
  labels: Uint8Array,
  classWeight: [number, number],
  weights: Float64Array,
): Float64Array {
  weights.fill(0);
  const [w0, w1] = classWeight;
  for (const i of trainRows) {
    let k = 0;
    let p = rng.next();
    while (p > LIMIT) {
      k++;
      p *= rng.next();
    }
    weights[i] = k * (labels[i] === 1 ? w1 : w0);
  }
  return weights;
}
