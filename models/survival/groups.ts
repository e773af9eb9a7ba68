/** Group labels for survival curves: pooling small groups, and the subjects of each group. */

/** Groups with fewer than MIN_GROUP subjects are pooled as "(other)", so every curve shown has some support. */
export const MIN_GROUP = 10;

export function poolSmallGroups(labels: readonly string[], minSize = MIN_GROUP): string[] {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return labels.map((l) => (counts.get(l)! < minSize ? "(other)" : l));
}

/** The indices of each group's subjects, groups in sorted order. */
export function indicesByGroup(labels: readonly string[]): Map<string, number[]> {
  const members = new Map<string, number[]>([...new Set(labels)].sort().map((name) => [name, []]));
  labels.forEach((l, i) => members.get(l)!.push(i));
  return members;
}
