/**
 * Index of each listed item's key among the distinct keys, in first-seen order, and the keys (the forecast's tenures
 * and histories, BG/NBD's columns).
 */
export function distinctIndex<T>(items: ArrayLike<number>, key: (i: number) => T): { of: Int32Array; keys: T[] } {
  const seen = new Map<T, number>();
  const keys: T[] = [];
  const of = new Int32Array(items.length);
  for (let n = 0; n < items.length; n++) {
    const k = key(items[n]!);
    let d = seen.get(k);
    if (d === undefined) {
      d = keys.length;
      seen.set(k, d);
      keys.push(k);
    }
    of[n] = d;
  }
  return { of, keys };
}
