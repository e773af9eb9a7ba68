/**
 * Bootstrap row weights of one tree: Poisson(1) counts (the large-sample equivalent of drawing n rows with
 * replacement) times the class weight. Draws exactly as Random.poisson(1) does (Knuth's multiplication method:
 * multiply uniforms until the product falls to e^−1 or below), in one Random.fillPoissonOne call because it runs once
 * per training row and tree. Rows outside the training rows get weight 0.
 */
import type { Random } from "../../loaders/random.ts";

// One buffer of counts per thread, reused: a fresh 100–200 kB typed array per tree is a fresh mmap and its page
// faults, which cost more than the draws.
let counts = new Float64Array(0);

export function bootstrapWeights(
  rng: Random,
  trainRows: Uint32Array,
  labels: Uint8Array,
  classWeight: [number, number],
  weights: Float64Array,
): Float64Array {
  weights.fill(0);
  const [w0, w1] = classWeight;
  if (counts.length < trainRows.length) counts = new Float64Array(trainRows.length);
  const drawn = counts.subarray(0, trainRows.length);
  rng.fillPoissonOne(drawn);
  for (let q = 0; q < trainRows.length; q++) {
    const i = trainRows[q]!;
    weights[i] = drawn[q]! * (labels[i] === 1 ? w1 : w0);
  }
  return weights;
}
