/**
 * A flat file (loaders/flat-file.ts) as a feature table: a column is numeric when every non-blank value parses as a
 * number (flatNumber: also "$1,234.50", "€12", "12.5%"; else flatDecimalComma: "1.234,50 €"), or every one an ISO
 * date (flatDate: days since 1970, so a tree can cut "signed up before March"), otherwise categorical; blanks are
 * missing. The target is 1 for the positive value (--positive, else yes/true/1, "1.0" included, in any case).
 * Refuses: missing target, one-class target, columns that are blank everywhere.
 */
import { UserError } from "../../loaders/errors.ts";
import { requireColumn, type FlatTable } from "../../loaders/flat-file.ts";
import type { FeatureTable } from "./dataset.ts";

const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const POSITIVE = new Set(["yes", "true", "1", "y", "churn", "churned"]);
/** Without --positive: yes/true/y/churn/churned in any case, or the number 1 however written ("1", "1.0"). */
const isPositive = (v: string) => POSITIVE.has(v.toLowerCase()) || (PLAIN_NUMBER.test(v) && Number(v) === 1);

/** A number as spreadsheets and billing tools write it: a sign, a currency symbol, thousands commas, a percent sign. */
const FORMATTED_NUMBER = /^([-+]?)[$€£]?\s?([-+]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s?%?$/;

/** The same written the European way: thousands dots, a decimal comma ("1.234,50 €", "12,5%"). */
const DECIMAL_COMMA_NUMBER = /^([-+]?)[$€£]?\s?([-+]?)(\d{1,3}(?:\.\d{3})+|\d+)(,\d+)?\s?[€%]?$/;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Days since 1970-01-01 (UTC, fractional with a time) of an ISO date or date-time, or null. */
export function flatDate(text: string): number | null {
  if (!ISO_DATE.test(text)) return null;
  // Without a zone, read as UTC (JavaScript would read a date-time as local time and so differ between machines).
  const iso = text.length === 10 ? `${text}T00:00:00` : text.replace(" ", "T");
  const ms = Date.parse(/(?:Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`);
  return Number.isFinite(ms) ? ms / 86_400_000 : null;
}

/**
 * The value of a FORMATTED_NUMBER or DECIMAL_COMMA_NUMBER match (group 3: the whole part with its `thousands`
 * separators, group 4: the fraction with its decimal mark), or null; a sign may stand before or after the currency
 * symbol, not both.
 */
function matchedNumber(m: RegExpExecArray | null, thousands: string): number | null {
  if (!m || (m[1] && m[2])) return null;
  const value = Number(m[3]!.replaceAll(thousands, "") + (m[4] ? `.${m[4].slice(1)}` : ""));
  return m[1] === "-" || m[2] === "-" ? -value : value;
}

/**
 * The number a flat file's cell holds, or null: plain numbers ("12", "-3.5e2") and formatted ones ("$1,234.50",
 * "-€12", "12.5%", "1,234"; a percentage keeps its scale, 12.5, which orders the same as 0.125 for a tree). Commas
 * count only as thousands separators in groups of three: "12,5" is not a number here.
 */
export function flatNumber(text: string): number | null {
  return PLAIN_NUMBER.test(text) ? Number(text) : matchedNumber(FORMATTED_NUMBER.exec(text), ",");
}

/**
 * A number written with a decimal comma ("12,5", "1.234,50 €", "-3,2%"), or null. Tried on a column only when some
 * cell is not a number the English way (flatNumber), so "1,234" in a column of such numbers stays one thousand.
 */
export function flatDecimalComma(text: string): number | null {
  return matchedNumber(DECIMAL_COMMA_NUMBER.exec(text), ".");
}

export function featureTableFromFlat(
  flat: FlatTable,
  target: string,
  options: { positive?: string; id?: string; drop?: string[] } = {},
): { table: FeatureTable; labels: Uint8Array; ids: string[] | null; dropped: string[]; notes: string[] } {
  const targetValues = requireColumn(flat, target, "target");
  const notes: string[] = [];
  const labels = new Uint8Array(flat.rowCount);
  for (let i = 0; i < flat.rowCount; i++) {
    const v = String(targetValues[i] ?? "").trim();
    if (v === "")
      throw new UserError(`${flat.file}, line ${flat.lines[i]}, column ${target}: the target is blank.`, {
        hint: "Every row needs a target value; remove rows without one.",
      });
    labels[i] = options.positive !== undefined ? (v === options.positive ? 1 : 0) : isPositive(v) ? 1 : 0;
  }
  const positives = labels.reduce((a, b) => a + b, 0);
  // A target with more than two values (Yes / No / Maybe, or a status column) is split by a rule: say how.
  const counts = new Map<string, { n: number; churn: boolean }>();
  targetValues.forEach((v, i) => {
    const key = String(v ?? "").trim();
    const entry = counts.get(key) ?? { n: 0, churn: labels[i] === 1 };
    entry.n++;
    counts.set(key, entry);
  });
  if (counts.size > 2) {
    const list = (churn: boolean) =>
      [...counts]
        .filter(([, c]) => c.churn === churn)
        .map(([v, c]) => `${v} (${c.n})`)
        .join(", ");
    notes.push(
      `the target ${target} has ${counts.size} values: ${list(true) || "none"} count as churn, ${list(false)} as ` +
        `not${options.positive === undefined ? "; give --positive V to choose the value that means churn" : ""}`,
    );
  }
  if (positives === 0 || positives === flat.rowCount) {
    const seen = [...new Set(targetValues.map((v) => String(v)))].slice(0, 5).join(", ");
    throw new UserError(`${flat.file}: the target ${target} has only one class (values: ${seen}).`, {
      hint: options.positive
        ? `No row equals --positive "${options.positive}", or every row does.`
        : "Name the value that means churn with --positive V.",
    });
  }
  const ids = options.id ? requireColumn(flat, options.id, "id").map((v) => String(v)) : null;
  for (const d of options.drop ?? []) requireColumn(flat, d, "drop");
  const skip = new Set([target, ...(options.id ? [options.id] : []), ...(options.drop ?? [])]);
  const names: string[] = [];
  const columns: (Float64Array | (string | null)[])[] = [];
  const dropped: string[] = [];
  for (const name of flat.columns) {
    if (skip.has(name)) continue;
    const raw = flat.values[name]!.map((v) => (v == null ? "" : String(v).trim()));
    const nonBlank = raw.filter((v) => v !== "");
    if (nonBlank.length === 0) {
      dropped.push(name);
      continue;
    }
    const parse = [flatNumber, flatDate, flatDecimalComma].find((p) => nonBlank.every((v) => p(v) !== null));
    names.push(name);
    columns.push(
      parse ? Float64Array.from(raw, (v) => (v === "" ? NaN : parse(v)!)) : raw.map((v) => (v === "" ? null : v)),
    );
  }
  if (names.length === 0)
    throw new UserError(`${flat.file}: no feature columns left besides the target${options.id ? " and id" : ""}.`);
  return { table: { names, columns, rows: flat.rowCount }, labels, ids, dropped, notes };
}
