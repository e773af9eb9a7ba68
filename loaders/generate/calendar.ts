/** Calendar arithmetic on integer day numbers (days since 1970-01-01, UTC), with a precomputed table of ISO strings. */
const MS_PER_DAY = 86_400_000;

export function dayNumber(iso: string): number {
  return Math.round(Date.parse(`${iso}T00:00:00Z`) / MS_PER_DAY);
}

export function isoDate(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 'YYYY-MM-DD' for every day in [first, last], looked up by day number: formatting 10M dates costs nothing. */
export class DateTable {
  private readonly strings: string[];
  private readonly months: Uint8Array;
  constructor(
    readonly first: number,
    readonly last: number,
  ) {
    this.strings = [];
    this.months = new Uint8Array(last - first + 1);
    for (let d = first; d <= last; d++) {
      const s = isoDate(d);
      this.strings.push(s);
      this.months[d - first] = Number(s.slice(5, 7)) - 1;
    }
  }
  iso(day: number): string {
    const s = this.strings[day - this.first];
    if (s === undefined) throw new RangeError(`day ${day} outside the date table`);
    return s;
  }
  /** Month of year 0–11. */
  month(day: number): number {
    return this.months[day - this.first]!;
  }
}

/** The same day-of-month `months` later (clamped to the month's last day), as a day number. */
export function addMonths(day: number, months: number): number {
  const date = new Date(day * MS_PER_DAY);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const dom = date.getUTCDate();
  const lastDom = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Math.round(Date.UTC(y, m, Math.min(dom, lastDom)) / MS_PER_DAY);
}
