/**
 * GROUPING SETS over filter dimensions, where each set groups by one dimension's column: the SQL that tells, on a
 * result row, which of them it is grouped by.
 */

/**
 * CASE giving `pick(d)` for the dimension d whose column (`column(d)`) the row is grouped by, else `otherwise`
 * (NULL when absent). With no dimensions, `otherwise` itself. Names and columns come from fixed lists, never user text.
 */
export function byGroupedDimension<D extends string>(
  dimensions: readonly D[],
  column: (d: D) => string,
  pick: (d: D) => string,
  otherwise?: string,
): string {
  if (!dimensions.length) return otherwise ?? "NULL";
  const when = dimensions.map((d) => `WHEN grouping(${column(d)}) = 0 THEN ${pick(d)}`).join(" ");
  return `CASE ${when}${otherwise === undefined ? "" : ` ELSE ${otherwise}`} END`;
}
