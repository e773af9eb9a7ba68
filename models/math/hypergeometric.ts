/**
 * Gauss hypergeometric function 2F1(a, b; c; z) for 0 ≤ z < 1 by its power series Σ (a)_k (b)_k / ((c)_k k!) z^k
 * (Abramowitz & Stegun 15.1.1), summed until the terms stop mattering. Used by BG/NBD's expectations
 * (Fader, Hardie & Lee 2005, eq. 7 and 10), where z = t / (α + T + t) stays well below 1 for practical horizons.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 needs 0 ≤ z < 1 (got ${z})`);
  let term = 1;
  let sum = 1;
  for (let k = 0; k < 1_000_000; k++) {
    term *= (((a + k) * (b + k)) / ((c + k) * (k + 1))) * z;
    sum += term;
    if (Math.abs(term) <= 1e-15 * Math.abs(sum)) return sum;
  }
  return sum;
}
