/** ISO calendar dates (YYYY-MM-DD, UTC) used by the analyses: add days without time-zone surprises. */
export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
