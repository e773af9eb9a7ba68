/**
 * Hostile exports, generated (fast-check, fixed seed): headers with quotes, pipes, %, unicode, SQL keywords, duplicate
 * and empty names; BOMs; LF, CRLF, lone CR and mixed line breaks; quoted delimiters and line breaks; Excel's "sep=,"
 * first line; very long fields; numbers with thousands separators and currency signs; dates in several formats; rows
 * with too few or too many fields. Whatever the file, ingest either loads it or refuses it with a UserError naming the
 * file, never anything else; and when it loads, the counts are checked against what the generator wrote (not against
 * the staging table): read = records written = loaded + rejected, every rejected row has the physical line its record
 * starts on and its text exactly as written.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { query, withDatabase } from "../loaders/db.ts";
import { isUserError } from "../loaders/errors.ts";
import { buildWarehouse } from "../loaders/ingest.ts";
import { runChurn } from "./helpers/cli.ts";

const root = mkdtempSync(join(tmpdir(), "churn-hostile-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOSTILE_NAMES = [
  "Date d'achat",
  'He said "hi"',
  "a|b",
  "100%",
  "SELECT",
  "DROP TABLE customers; --",
  "Montant (€)",
  "客户",
  "naïve café",
  "x'); DROP TABLE t; --",
  "$1",
  "?",
  "\\N",
  "  spaced  ",
];

const field = fc.oneof(
  fc.constantFrom("", "plain", "with,comma", 'with "quote"', "line\nbreak", "cr\rbreak", "tab\there", "a|b", "'; --"),
  fc.string({ maxLength: 12 }),
  fc.constant("x".repeat(5000)),
);
const date = fc.constantFrom(
  "2024-01-31",
  "2024-02-30",
  "31/01/2024",
  "2024-01-31 10:00:00",
  "Jan 5 2024",
  "",
  "2024-13-01",
);
const amount = fc.constantFrom("10", "-2.5", "1,234.50", "$12", "€ 7", "12 345", "abc", "", "1e3", "NaN", "Infinity");
const lineBreak = fc.constantFrom("\n", "\r\n", "\r");

interface Generated {
  text: string;
  /** Per data record: the physical line it starts on and its text as written. */
  records: { line: number; text: string }[];
  names: { customer: string; date: string; amount: string };
}

const quoteField = (value: string) =>
  /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;

const exportFile = fc
  .record({
    names: fc.uniqueArray(fc.constantFrom(...HOSTILE_NAMES), { minLength: 3, maxLength: 3 }),
    extra: fc.constantFrom(["note"], ["note", "note"], [""], ["SELECT", "select"]),
    bom: fc.boolean(),
    sepLine: fc.boolean(),
    breaks: fc.array(lineBreak, { minLength: 1, maxLength: 3 }),
    rows: fc.array(
      fc.record({
        customer: fc.oneof(fc.constantFrom("c1", "c2", "", "c'3", 'c"4', "c|5"), field),
        date,
        amount,
        extras: fc.array(field, { minLength: 0, maxLength: 3 }),
        blankBefore: fc.boolean(),
      }),
      { minLength: 1, maxLength: 25 },
    ),
  })
  .map(({ names, extra, bom, sepLine, breaks, rows }): Generated => {
    const [customer, dateName, amountName] = names as [string, string, string];
    const header = [customer, dateName, amountName, ...extra];
    let line = 1;
    let text = bom ? "\ufeff" : "";
    const records: Generated["records"] = [];
    const emit = (recordText: string, i: number) => {
      const lineBreakHere = breaks[i % breaks.length]!;
      text += recordText + lineBreakHere;
      line += 1 + (recordText.match(/\r\n|\r|\n/g)?.length ?? 0);
    };
    if (sepLine) emit("sep=,", 0);
    emit(header.map(quoteField).join(","), 0);
    rows.forEach((row, i) => {
      if (row.blankBefore) emit("", i);
      // extras shorter or longer than the header's give too few / too many fields
      const cells = [row.customer, row.date, row.amount, ...row.extras].map(quoteField).join(",");
      records.push({ line, text: cells });
      emit(cells, i + 1);
    });
    return { text, records, names: { customer, date: dateName, amount: amountName } };
  });

let counter = 0;

describe("ingest on generated hostile exports", () => {
  it("loads or refuses cleanly, and every count, line and raw text agrees with what was written", async () => {
    await fc.assert(
      fc.asyncProperty(exportFile, async (generated) => {
        const dir = join(root, `case-${++counter}`);
        const file = join(dir, "orders.csv");
        const db = join(dir, "w.duckdb");
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, generated.text);
        if (process.env["CHURN_DEBUG_HOSTILE"]) writeFileSync("/tmp/last-case.json", JSON.stringify(generated));
        let result: Awaited<ReturnType<typeof buildWarehouse>>;
        try {
          result = await buildWarehouse(
            {
              transactions: {
                file,
                customer: generated.names.customer,
                date: generated.names.date,
                amount: generated.names.amount,
              },
            },
            db,
          );
        } catch (error) {
          // A refusal must be a UserError that names the file; anything else is a bug.
          expect(isUserError(error), String((error as Error).stack)).toBe(true);
          expect((error as Error).message).toContain("orders.csv");
          return;
        }
        const source = result.sources[0]!;
        expect(source.read).toBe(generated.records.length);
        expect(source.loaded + source.rejected).toBe(source.read);
        const rejected = await withDatabase(db, { readOnly: true }, (d) =>
          query<{ line: number; raw: string }>(d.connection, "SELECT line, raw FROM rejected_rows ORDER BY line"),
        );
        expect(rejected.length).toBe(source.rejected);
        const byLine = new Map(generated.records.map((r) => [r.line, r.text]));
        for (const r of rejected) {
          expect(byLine.has(r.line), `line ${r.line} starts a record`).toBe(true);
          expect(r.raw).toBe(byLine.get(r.line)!.slice(0, 2000));
        }
      }),
      { numRuns: 40, seed: 20261128, endOnFailure: true },
    );
  }, 600_000);

  it("a header with an apostrophe and a pipe goes through the command line without a stack trace", () => {
    const dir = join(root, "cli");
    const file = join(dir, "t.csv");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, "client,Date d'achat,montant|€\nc1,2024-01-02,10\nc2,2024-02-30,5\n");
    const r = runChurn([
      "ingest",
      "--transactions",
      file,
      "--customer",
      "client",
      "--date",
      "Date d'achat",
      "--amount",
      "montant|€",
      "--db",
      join(dir, "w.duckdb"),
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 2, loaded: 1, rejected: 1, reasons: { "impossible date": 1 } });
  });

  it("loads exports side by side yet names the first bad one in the sources' order, and writes nothing", async () => {
    const dir = join(root, "two-bad");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // Surveys is the larger file, so it is loaded first; customers comes first in the sources' order.
    writeFileSync(join(dir, "customers.csv"), "who,joined\nC1,2024-01-01\n");
    writeFileSync(join(dir, "surveys.csv"), `whom,when,nps\n${"C1,2024-02-01,9\n".repeat(200)}`);
    writeFileSync(join(dir, "transactions.csv"), "customer_id,date,amount\nC1,2024-01-05,10\n");
    const db = join(dir, "w.duckdb");
    await expect(buildWarehouse({ source: dir }, db)).rejects.toThrow(/customers\.csv/);
    expect(existsSync(db)).toBe(false);
  });
});

describe("exports spreadsheets write", () => {
  const write = (name: string, files: Record<string, string | Buffer>) => {
    const dir = join(root, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
    return dir;
  };
  const orders = "customer_id;date;amount\nA;2024-01-05;10\nB;2024-02-30;5\nC;2024-03-01;7\n";

  it("Excel's sep= line names the delimiter; the rows keep their physical lines", async () => {
    const dir = write("sep-line", { "transactions.csv": `sep=;\n${orders}` });
    const result = await buildWarehouse({ source: dir }, join(dir, "w.duckdb"));
    expect(result.sources[0]).toMatchObject({ read: 3, loaded: 2, rejected: 1 });
    const rejected = await withDatabase(join(dir, "w.duckdb"), { readOnly: true }, (d) =>
      query<{ line: number; raw: string }>(d.connection, "SELECT line, raw FROM rejected_rows"),
    );
    expect(rejected).toEqual([{ line: 4, raw: "B;2024-02-30;5" }]);
  });

  it('UTF-16 with its byte-order mark ("Unicode text") is read as UTF-16; big-endian is refused by name', async () => {
    const text = orders.replace(/;/g, "\t").replace("A\t", "Zoë\t");
    const le = write("utf16-le", {
      "transactions.csv": Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]),
    });
    const result = await buildWarehouse({ source: le }, join(le, "w.duckdb"));
    expect(result.sources[0]).toMatchObject({ read: 3, loaded: 2, rejected: 1 });
    const ids = await withDatabase(join(le, "w.duckdb"), { readOnly: true }, (d) =>
      query<{ customer_id: string }>(d.connection, "SELECT customer_id FROM transactions ORDER BY date"),
    );
    expect(ids.map((r) => r.customer_id)).toEqual(["Zoë", "C"]);
    const be = Buffer.from(text, "utf16le").swap16();
    const bigEndian = write("utf16-be", { "transactions.csv": Buffer.concat([Buffer.from([0xfe, 0xff]), be]) });
    await expect(buildWarehouse({ source: bigEndian }, join(bigEndian, "w.duckdb"))).rejects.toThrow(
      /transactions\.csv is UTF-16 big-endian text/,
    );
  });

  it("a file without its header row is said to be one, with the config that reads it", async () => {
    const dir = write("no-header", { "transactions.csv": "A,2024-01-05,10\nB,2024-02-03,5\n" });
    const error = await buildWarehouse({ source: dir }, join(dir, "w.duckdb")).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect((error as { hint: string }).hint).toMatch(
      /Columns found: A, 2024-01-05, 10\. The first line looks like data/,
    );
    expect((error as { hint: string }).hint).toMatch(/"header": false/);
  });

  it("a missing column's message shows at most 25 names of at most 40 characters", async () => {
    const wide = Array.from({ length: 30 }, (_, i) => `column number ${i} ${"x".repeat(60)}`).join(",");
    const dir = write("wide-header", { "transactions.csv": `${wide}\n${"1,".repeat(29)}1\n` });
    const error = await buildWarehouse({ source: dir }, join(dir, "w.duckdb")).catch((e: unknown) => e);
    const hint = (error as { hint: string }).hint;
    expect(hint).toMatch(/^Columns found: column number 0 x{24}…, /);
    expect(hint).toMatch(/, … \(5 more\)\./);
    expect(hint.length).toBeLessThan(1600);
  });
});
