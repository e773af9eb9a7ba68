// Spreadsheet-safe CSV in the browser, for the "download the filtered view" link. Same rules as
// models/actions/csv.ts (test/site-csv.test.ts checks both give identical bytes): UTF-8 BOM, RFC 4180 quoting,
// CRLF, and text cells starting with =, +, -, @, tab or carriage return prefixed with a single quote.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns, rows) {
  const lines = [columns.map(csvCell).join(","), ...rows.map((r) => r.map(csvCell).join(","))];
  return `\ufeff${lines.join("\r\n")}\r\n`;
}
