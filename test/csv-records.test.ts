/**
 * The record scanner's fast path (a record without quotes or CRs located by its line end) against its byte-by-byte
 * state machine, which the ingest tests check on hostile files: on seeded random files mixing quoted fields, doubled
 * quotes, quoted line breaks, CR, CRLF, blank lines, a BOM, rows wider and narrower than the header, and records
 * that cross the scanner's 4 MiB read chunks, both must find the same records, lines, field counts and byte ranges.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRandom, type Random } from "../loaders/random.ts";
import { scanRecords, type ScanOptions } from "../loaders/csv-records.ts";

const dir = mkdtempSync(join(tmpdir(), "churn-scan-"));

function field(rng: Random, delimiter: string): string {
  const u = rng.next();
  if (u < 0.15) return "";
  if (u < 0.25)
    return `"${["a", `b${delimiter}c`, 'say ""hi""', "two\nlines", "cr\rhere", "crlf\r\nx", ""][rng.int(7)]}"`;
  if (u < 0.3) return ['x"y', 'end"', "ü€"][rng.int(3)]!;
  return Array.from({ length: 1 + rng.int(12) }, () => "abcdefghij0123456789 .-"[rng.int(23)]).join("");
}

function randomCsv(rng: Random, rows: number, delimiter: string, plainShare: number, plainBreak = "\n"): string {
  const breaks = ["\n", "\n", "\n", "\r\n", "\r"];
  const parts: string[] = [rng.next() < 0.3 ? "\uFEFF" : "", ["id", "a", "b", "c"].join(delimiter), plainBreak];
  for (let r = 0; r < rows; r++) {
    const width = rng.next() < 0.9 ? 4 : [2, 3, 5, 6][rng.int(4)]!;
    const plain = rng.next() < plainShare;
    const fields = Array.from({ length: width }, (_, k) =>
      plain ? `v${r}_${k}` : k === width - 1 && rng.next() < 0.2 ? "" : field(rng, delimiter),
    );
    parts.push(fields.join(delimiter));
    parts.push(plain ? plainBreak : breaks[rng.int(breaks.length)]!);
    if (rng.next() < 0.03) parts.push(plainBreak);
  }
  return parts.join("");
}

function both(path: string, options: ScanOptions) {
  const fast = scanRecords(path, options);
  const slow = scanRecords(path, { ...options, fastPath: false });
  return { fast, slow };
}

/** The first place the two scans differ (null when they agree), small enough to print for a 250,000-row file. */
function firstDifference(fast: ReturnType<typeof scanRecords>, slow: ReturnType<typeof scanRecords>) {
  for (const key of ["count", "headerLine", "lineBreaks"] as const)
    if (fast[key] !== slow[key]) return { key, fast: fast[key], slow: slow[key] };
  for (const key of ["lines", "fields", "starts", "ends"] as const)
    for (let r = 0; r < slow.count; r++)
      if (fast[key][r] !== slow[key][r]) return { key, record: r, fast: fast[key][r], slow: slow[key][r] };
  return null;
}

describe("record scanner fast path", () => {
  it("finds the same records as the byte-by-byte scan on random hostile files", () => {
    const rng = createRandom(2026);
    for (let k = 0; k < 60; k++) {
      const delimiter = [",", ";", "\t", "|"][k % 4]!;
      const path = join(dir, `random-${k}.csv`);
      writeFileSync(path, randomCsv(rng, 200, delimiter, k % 3 === 0 ? 0.9 : 0.3, k % 2 ? "\r\n" : "\n"));
      for (const header of [true, false]) {
        const { fast, slow } = both(path, { delimiter, quote: '"', escape: '"', header });
        expect(firstDifference(fast, slow), `${path} header=${header}`).toBeNull();
      }
    }
  });

  it("counts the line-break styles of a file written with one style only", () => {
    for (const lineBreak of ["\n", "\r\n"]) {
      const path = join(dir, `one-style-${lineBreak.length}.csv`);
      writeFileSync(path, randomCsv(createRandom(3), 500, ",", 1, lineBreak));
      const { fast, slow } = both(path, { delimiter: ",", quote: '"', escape: '"', header: true });
      expect(fast.lineBreaks).toBe(1);
      expect(firstDifference(fast, slow)).toBeNull();
    }
  });

  it("agrees across the 4 MiB read chunks (LF and CRLF), with no quote character and with a width given", () => {
    const rng = createRandom(7);
    for (const lineBreak of ["\n", "\r\n"]) {
      const path = join(dir, "large.csv");
      writeFileSync(path, randomCsv(rng, 250_000, ",", 0.95, lineBreak));
      const cases: ScanOptions[] = [
        { delimiter: ",", quote: '"', escape: '"', header: true },
        { delimiter: ",", quote: "", escape: "", header: true },
        { delimiter: ",", quote: '"', escape: '"', header: true, width: 3 },
      ];
      for (const options of cases) {
        const { fast, slow } = both(path, options);
        expect(fast.count).toBeGreaterThan(250_000 * 0.95);
        expect(firstDifference(fast, slow), `${JSON.stringify(lineBreak)} ${JSON.stringify(options)}`).toBeNull();
      }
    }
  });
});
