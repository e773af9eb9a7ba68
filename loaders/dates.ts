import { addMonths as addMonthsToDay, dayNumber, isoDate } from "./generate/calendar.ts";

/** ISO calendar dates (YYYY-MM-DD, UTC) used by the analyses: add days without time-zone surprises. */
export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The same day of the month `months` later, clamped to the month's last day (Mar 31 − 1 month = Feb 28/29). */
export function addMonths(iso: string, months: number): string {
  return isoDate(addMonthsToDay(dayNumber(iso), months));
}

/** Whole days from `from` to `to` (ISO dates; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}
