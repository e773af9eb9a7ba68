/**
 * CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel reads accents correctly; LibreOffice ignores it),
 * RFC 4180 quoting, CRLF line ends, and no cell that a spreadsheet would run as a formula: a text cell starting with
 * =, +, -, @, tab or carriage return gets a leading single quote (OWASP "CSV Injection"). Numeric columns are written
 * as plain numbers, so a negative number stays a number.
 */
export type CsvValue = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = value;
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: string[], rows: CsvValue[][]): string {
  const lines = [columns.map(csvCell).join(","), ...rows.map((r) => r.map(csvCell).join(","))];
  return `\ufeff${lines.join("\r\n")}\r\n`;
}
