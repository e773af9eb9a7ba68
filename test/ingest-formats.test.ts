/**
 * Exports as spreadsheets and CRMs write them, loaded without a config: US and European dates, a semicolon-separated
 * file with decimal commas, thousands separators and currency signs. Each loads the same values as its ISO twin, and
 * the report says which format was read; dates two formats read equally well are not guessed; an export most of
 * whose rows are rejected gets a warning naming its first rejected line and column.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { runChurn } from "./helpers/cli.ts";

interface SourceJson {
  read: number;
  loaded: number;
  rejected: number;
  reasons: Record<string, number>;
  notes?: string[];
}

/** Ingest `files` (name → text) with `churn ingest --json`; the per-source report and the loaded transactions. */
async function ingest(files: Record<string, string>, extra: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "churn-formats-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const db = join(dir, "w.duckdb");
  const r = runChurn(["ingest", "--source", dir, "--db", db, "--json", ...extra]);
  if (r.code !== 0) return { code: r.code, stderr: r.stderr, sources: {}, transactions: [] };
  const database = await openDatabase(db, { readOnly: true });
  try {
    const transactions = await query<{ customer_id: string; date: string; amount: number }>(
      database.connection,
      "SELECT customer_id, CAST(date AS VARCHAR) AS date, amount FROM transactions ORDER BY customer_id, date, amount",
    );
    const sources = (JSON.parse(r.stdout) as { sources: Record<string, SourceJson> }).sources;
    return { code: r.code, stderr: r.stderr, sources, transactions };
  } finally {
    database.close();
  }
}

const customers = "customer_id,signup_date\nA,2024-01-05\nB,2024-02-20\n";
// The ISO twin every other layout must reproduce.
const iso = [
  { customer_id: "A", date: "2024-01-05", amount: 1234.5 },
  { customer_id: "A", date: "2024-03-17", amount: -20 },
  { customer_id: "B", date: "2024-02-20", amount: 75.25 },
  { customer_id: "B", date: "2024-12-31", amount: 12000 },
];

describe("formats read from the exports' own values", () => {
  it("the ISO export loads as written, with no note", async () => {
    const r = await ingest({
      "customers.csv": customers,
      "transactions.csv":
        "customer_id,date,amount\nA,2024-01-05,1234.5\nA,2024-03-17,-20\nB,2024-02-20,75.25\nB,2024-12-31,12000\n",
    });
    expect(r.transactions).toEqual(iso);
    expect(r.sources["transactions"]?.notes).toBeUndefined();
  });

  it("US dates with times, thousands separators, currency signs and codes, a negative in parentheses", async () => {
    const r = await ingest({
      "customers.csv": customers,
      "transactions.csv":
        "customer_id,date,amount\n" +
        'A,1/5/2024 10:15 AM,"$1,234.50"\nA,03/17/2024 08:00,(20.00)\nB,2/20/2024,USD 75.25\nB,12/31/2024,"12,000"\n',
    });
    expect(r.transactions).toEqual(iso);
    expect(r.sources["transactions"]).toMatchObject({ read: 4, loaded: 4, rejected: 0 });
    expect(r.sources["transactions"]?.notes?.join(" ")).toMatch(/dates read as %m\/%d\/%Y \(4 of 4 values/);
  });

  it("a European export: semicolons, day.month.year dates, decimal commas and currency after or before", async () => {
    const r = await ingest({
      "customers.csv": "customer_id;signup_date\nA;05.01.2024\nB;20.02.2024\n",
      "transactions.csv":
        "customer_id;date;amount\nA;05.01.2024;1.234,50 €\nA;17.03.2024;-20,00\n" +
        "B;20.02.2024;EUR 75,25\nB;31.12.2024;12.000,00\n",
    });
    expect(r.transactions).toEqual(iso);
    const notes = r.sources["transactions"]?.notes?.join(" ") ?? "";
    expect(notes).toMatch(/dates read as %d\.%m\.%Y/);
    expect(notes).toMatch(/decimal comma/);
    expect(r.sources["customers"]).toMatchObject({ read: 2, loaded: 2 });
  });

  /** The ISO twin's four rows with their dates written as `dates`: the same rows load, read as `format`. */
  async function expectReadAs(dates: readonly string[], format: string) {
    const amounts = ["1234.5", "-20", "75.25", "12000"];
    const rows = ["A", "A", "B", "B"].map((c, i) => `${c},${dates[i]},${amounts[i]}`);
    const r = await ingest({
      "customers.csv": customers,
      "transactions.csv": `customer_id,date,amount\n${rows.join("\n")}\n`,
    });
    expect(r.transactions).toEqual(iso);
    expect(r.sources["transactions"]?.notes?.join(" ")).toContain(`dates read as ${format} (4 of 4 values`);
  }

  it("day/month dates are told from month/day by the days above 12", async () => {
    await expectReadAs(["05/01/2024", "17/03/2024", "20/02/2024", "31/12/2024"], "%d/%m/%Y");
  });

  it("dates with month names: 05-Jan-2024, Jan 5, 2024, 5 January 2024", async () => {
    await expectReadAs(["05-Jan-2024", "17-Mar-2024", "20-Feb-2024", "31-Dec-2024"], "%d-%b-%Y");
    await expectReadAs(['"Jan 5, 2024"', '"Mar 17, 2024"', '"Feb 20, 2024"', '"Dec 31, 2024"'], "%b %d, %Y");
    await expectReadAs(["5 January 2024", "17 March 2024", "20 February 2024", "31 December 2024"], "%d %B %Y");
  });

  it("dates written as numbers: spreadsheet serial days, Unix seconds and milliseconds", async () => {
    // 2024-01-05, 2024-03-17, 2024-02-20, 2024-12-31 as each writes them (a serial day's fraction is its time).
    await expectReadAs(["45296", "45368.5", "45342", "45657"], "spreadsheet serial days");
    await expectReadAs(["1704412800", "1710633600", "1708387200.5", "1735603200"], "Unix seconds");
    await expectReadAs(["1704412800000", "1710633600000", "1708387200123", "1735603200000"], "Unix milliseconds");
  });

  it("dates that read equally well both ways are not guessed: the error names both formats", async () => {
    const r = await ingest({
      "transactions.csv": "customer_id,date,amount\nA,01/02/2024,10\nA,05/06/2024,12\nB,03/04/2024,9\n",
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/read equally well as %m\/%d\/%Y or %d\/%m\/%Y: not guessed/);
    expect(r.stderr).toMatch(/date_format/);
  });

  it("a config's date_format is used as it is, with no detection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-formats-config-"));
    const config = join(dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({ sources: { transactions: { file: "transactions.csv", date_format: "%d/%m/%Y" } } }),
    );
    const r = await ingest(
      { "transactions.csv": "customer_id,date,amount\nA,01/02/2024,10\nA,05/06/2024,12\nB,03/04/2024,9\n" },
      ["--config", config],
    );
    expect(r.code).toBe(0);
    expect(r.transactions.map((t) => t.date)).toEqual(["2024-02-01", "2024-06-05", "2024-04-03"]);
    expect(r.sources["transactions"]?.notes).toBeUndefined();
  });

  it("an export most of whose rows are rejected gets a warning with its first rejected line and column", async () => {
    const r = await ingest({
      "customers.csv": "customer_id,signup_date\nA,soon\nB,later\nC,2024-01-01\n",
    });
    expect(r.sources["customers"]).toMatchObject({ read: 3, loaded: 1, rejected: 2 });
    const warning = r.sources["customers"]?.notes?.join(" ") ?? "";
    expect(warning).toMatch(/warning: 2 of 3 rows of customers\.csv were rejected, 2 of them for "unparseable date"\./);
    expect(warning).toMatch(/First: line 2, column signup_date: "A,soon"/);
    expect(warning).toMatch(/for this reason see "date_format"/);
  });

  it("`churn build` prints the same report: counts per export and the formats it read", () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-formats-build-"));
    writeFileSync(join(dir, "customers.csv"), "customer_id;signup_date\nA;05.01.2024\nB;20.02.2024\n");
    writeFileSync(
      join(dir, "transactions.csv"),
      "customer_id;date;amount\nA;05.01.2024;1.234,50\nB;20.02.2024;75,25\n",
    );
    const r = runChurn(["build", "--source", dir, "--db", join(dir, "w.duckdb"), "--no-site", "--no-model"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/transactions +transactions\.csv +read +2 +loaded +2 +rejected +0/);
    expect(r.stdout).toMatch(/dates read as %d\.%m\.%Y/);
    expect(r.stdout).toMatch(/decimal comma/);
  }, 120_000);

  it("a spreadsheet saved under a .csv name is named as one, with what to do", async () => {
    // The first bytes of any .xlsx (a zip archive) and of an old .xls (an OLE compound file).
    for (const [bytes, kind] of [
      [[0x50, 0x4b, 0x03, 0x04, 0x14, 0x00], /Excel workbook \(\.xlsx\)/],
      [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1], /old Excel workbook \(\.xls\)/],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), "churn-formats-xlsx-"));
      writeFileSync(join(dir, "customers.csv"), Buffer.from([...bytes, ...Array(200).fill(0x41)]));
      const r = runChurn(["ingest", "--source", dir, "--db", join(dir, "w.duckdb")]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(kind);
      expect(r.stderr).toMatch(/customers\.csv is an? .*save the sheet as CSV/s);
    }
  });

  it("a 3 MB note (a pasted e-mail thread) loads whole, past DuckDB's 2,000,000-byte record limit", async () => {
    const note = "Forwarded thread: the renewal terms, again. ".repeat(70_000); // 3.1 MB
    const dir = mkdtempSync(join(tmpdir(), "churn-formats-long-"));
    writeFileSync(
      join(dir, "interactions.csv"),
      `customer_id,date,type,note\nA,2024-01-05,complaint,"${note}"\nB,2024-02-01,support_call,short\n`,
    );
    const db = join(dir, "w.duckdb");
    const r = runChurn(["ingest", "--source", dir, "--db", db, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const database = await openDatabase(db, { readOnly: true });
    try {
      const rows = await query<{ n: number }>(
        database.connection,
        "SELECT length(note)::INTEGER AS n FROM interactions ORDER BY customer_id",
      );
      expect(rows.map((x) => x.n)).toEqual([note.trim().length, 5]); // text fields are trimmed
    } finally {
      database.close();
    }
  });
});
