/**
 * `churn ingest` on hand-made exports: every kind of bad row lands in rejected_rows with its physical line,
 * column and reason, read = loaded + rejected, refunds load, and refusals leave the previous warehouse untouched.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const fixture = (name: string) => join(PROJECT_ROOT, "test", "fixtures", "ingest", name);
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const tempDir = () => mkdtempSync(join(tmpdir(), "churn-ingest-"));

async function rows<T extends Record<string, unknown>>(db: string, sql: string): Promise<T[]> {
  const database = await openDatabase(db, { readOnly: true });
  try {
    return await query<T>(database.connection, sql);
  } finally {
    database.close();
  }
}

type SourceReport = { loaded: number; reasons: Record<string, number>; notes?: string[] };

/** Write the exports into a fresh folder and run `churn ingest --json` there: the warehouse, each source's report. */
function ingestFiles(files: Record<string, string>): { db: string; sources: Record<string, SourceReport> } {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const db = join(dir, "w.duckdb");
  const r = runChurn(["ingest", "--source", dir, "--db", db, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return { db, sources: (JSON.parse(r.stdout) as { sources: Record<string, SourceReport> }).sources };
}

describe("churn ingest: row problems", () => {
  const dir = tempDir();
  copyFileSync(fixture("transactions.csv"), join(dir, "transactions.csv"));
  const db = join(dir, "w.duckdb");
  const result = runChurn(["ingest", "--source", dir, "--db", db, "--json"]);

  it("reports read = loaded + rejected with the reasons", () => {
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as {
      sources: Record<string, { read: number; loaded: number; rejected: number; reasons: Record<string, number> }>;
    };
    const t = json.sources["transactions"]!;
    // 11 data rows in the fixture (one of them spans two physical lines).
    expect(t.read).toBe(11);
    expect(t.loaded + t.rejected).toBe(t.read);
    expect(t.reasons).toEqual({
      "impossible date": 1,
      "too few fields": 1,
      "too many fields": 1,
      "unparseable number": 1,
      "duplicate row": 1,
      "empty customer_id": 1,
      "unparseable date": 1,
    });
  });

  it("names the physical line and column of each rejected row, counting the quoted newline", async () => {
    const rejected = await rows<{ line: number; column: string | null; reason: string }>(
      db,
      `SELECT line, "column", reason FROM rejected_rows ORDER BY line`,
    );
    expect(rejected).toEqual([
      { line: 3, column: "date", reason: "impossible date" },
      { line: 5, column: "order_id", reason: "too few fields" },
      { line: 6, column: null, reason: "too many fields" },
      { line: 9, column: "amount", reason: "unparseable number" },
      { line: 10, column: null, reason: "duplicate row" },
      { line: 11, column: "customer_id", reason: "empty customer_id" },
      { line: 12, column: "date", reason: "unparseable date" },
    ]);
  });

  it("loads refunds as negative amounts and keeps quoted fields whole", async () => {
    const loaded = await rows<{ customer_id: string; amount: number; order_id: string }>(
      db,
      "SELECT customer_id, amount, order_id FROM transactions ORDER BY customer_id",
    );
    expect(loaded.map((r) => r.customer_id)).toEqual(["c1", "c3", "c6", "c9"]);
    expect(loaded.find((r) => r.customer_id === "c3")!.amount).toBe(-1.5);
    expect(loaded.find((r) => r.customer_id === "c6")!.order_id).toBe("multi\nline, order");
  });

  it("derives customers from the other sources when there is no customers export, and says so", async () => {
    const customers = await rows<{ customer_id: string; signup_date: string }>(
      db,
      "SELECT customer_id, signup_date FROM customers ORDER BY 1",
    );
    expect(customers).toEqual([
      { customer_id: "c1", signup_date: "2024-01-02" },
      { customer_id: "c3", signup_date: "2024-01-05" },
      { customer_id: "c6", signup_date: "2024-01-08" },
      { customer_id: "c9", signup_date: "2024-01-11" },
    ]);
    const meta = await rows<{ value: string }>(db, "SELECT value FROM warehouse_meta WHERE key = 'derived_customers'");
    expect(meta[0]!.value).toBe("true");
  });

  it("re-ingesting the same exports creates no duplicates", async () => {
    const again = runChurn(["ingest", "--source", dir, "--db", db, "--json"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(result.stdout);
    const [n] = await rows<{ n: number }>(db, "SELECT count(*)::INTEGER AS n FROM transactions");
    expect(n!.n).toBe(4);
  });
});

describe("churn ingest: one row per customer", () => {
  it("keeps the first row of a repeated customer_id and quarantines the later ones with their line", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "customers.csv"),
      [
        "customer_id,signup_date,segment",
        "a,2024-01-01,SMB",
        "b,2024-01-02,SMB",
        "a,2024-03-01,Enterprise",
        "c,2024-02-30,SMB",
        "c,2024-02-03,SMB",
        "a,2024-01-01,SMB",
        "",
      ].join("\n"),
    );
    const db = join(dir, "w.duckdb");
    const r = runChurn(["ingest", "--source", dir, "--db", db, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const c = (
      JSON.parse(r.stdout) as {
        sources: Record<string, { read: number; loaded: number; rejected: number; reasons: Record<string, number> }>;
      }
    ).sources["customers"]!;
    // Line 7 repeats line 2 exactly; line 4 is another row for "a"; line 5's impossible date does not make it c's
    // first row.
    expect(c).toMatchObject({
      read: 6,
      loaded: 3,
      rejected: 3,
      reasons: { "duplicate row": 1, "duplicate customer_id": 1, "impossible date": 1 },
    });
    expect(await rows(db, `SELECT line, "column", reason FROM rejected_rows ORDER BY line`)).toEqual([
      { line: 4, column: "customer_id", reason: "duplicate customer_id" },
      { line: 5, column: "signup_date", reason: "impossible date" },
      { line: 7, column: null, reason: "duplicate row" },
    ]);
    expect(await rows(db, "SELECT customer_id, segment FROM customers ORDER BY 1")).toEqual([
      { customer_id: "a", segment: "SMB" },
      { customer_id: "b", segment: "SMB" },
      { customer_id: "c", segment: "SMB" },
    ]);
  });
});

describe("churn ingest: refusals leave the warehouse untouched", () => {
  const dir = tempDir();
  const good = join(dir, "good");
  mkdirSync(good);
  copyFileSync(fixture("transactions.csv"), join(good, "transactions.csv"));
  const db = join(dir, "w.duckdb");
  expect(runChurn(["ingest", "--source", good, "--db", db]).code).toBe(0);
  const before = sha(db);

  const refuse = (files: Record<string, string | Buffer>, extra: string[] = []) => {
    const bad = mkdtempSync(join(dir, "bad-"));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(bad, name), content);
    const r = runChurn(["ingest", "--source", bad, "--db", db, ...extra]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(sha(db)).toBe(before);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
    return r.stderr;
  };

  it("a required column missing: names it and lists the columns found", () => {
    const err = refuse({ "transactions.csv": "customer_id,when,amount\nc1,2024-01-01,3\n" });
    expect(err).toContain('required column "date" is missing');
    expect(err).toContain("Columns found: customer_id, when, amount");
  });

  it("a source refused after another loaded (crash part-way) still leaves nothing behind", () => {
    const err = refuse({
      "customers.csv": "customer_id,signup_date\nc1,2024-01-01\n",
      "transactions.csv": "customer_id,amount\nc1,3\n",
    });
    expect(err).toContain("transactions.csv");
  });

  it("an empty file says it is empty", () => {
    expect(refuse({ "surveys.csv": "" })).toContain("surveys.csv is empty");
  });

  it("a folder with none of the exports says what it expected", () => {
    expect(refuse({ "notes.txt": "hello" })).toContain("holds none of the six exports");
  });

  it("a misspelt config key is named", () => {
    const config = join(dir, "config.json");
    writeFileSync(
      config,
      JSON.stringify({ sources: { transactions: { file: "transactions.csv", date_fromat: "%d/%m/%Y" } } }),
    );
    const r = runChurn(["ingest", "--source", good, "--config", config, "--db", db]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('"date_fromat"');
    expect(r.stderr).toContain("sources.transactions");
    expect(sha(db)).toBe(before);
  });

  it("a config saved with a byte-order mark is read; a syntax error names its line and column", () => {
    const config = join(dir, "config-bom.json");
    writeFileSync(config, `\uFEFF${JSON.stringify({ sources: { transactions: { file: "transactions.csv" } } })}`);
    const fresh = join(dir, "bom.duckdb");
    const ok = runChurn(["ingest", "--source", good, "--config", config, "--db", fresh]);
    expect(ok.code, ok.stderr).toBe(0);
    const broken = join(dir, "config-broken.json");
    writeFileSync(broken, '{\n  "sources": {\n    "transactions": { "file": "transactions.csv", }\n  }\n}\n');
    const r = runChurn(["ingest", "--source", good, "--config", broken, "--db", db]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/config-broken\.json, line 3, column \d+: not valid JSON/);
    expect(sha(db)).toBe(before);
  });
});

describe("churn ingest: encodings, formats and the single-file form", () => {
  it("reads latin-1 untold (and says so), refuses it when told utf-8, loads it when told latin-1", async () => {
    const dir = tempDir();
    const file = join(dir, "orders.csv");
    writeFileSync(
      file,
      Buffer.from("Client;Jour;Qte;Prix\nMüller GmbH;31/01/2024;2;3,50\nCafé Zürich;01/02/2024;1;10,00\n", "latin1"),
    );
    const db = join(dir, "w.duckdb");
    const config = join(dir, "c.json");
    const source = {
      file: "orders.csv",
      delimiter: ";",
      decimal_comma: true,
      date_format: "%d/%m/%Y",
      columns: { customer_id: "Client", date: "Jour" },
      amount_from: { quantity: "Qte", price: "Prix" },
    };
    const expected = [
      { customer_id: "Müller GmbH", date: "2024-01-31", amount: 7 },
      { customer_id: "Café Zürich", date: "2024-02-01", amount: 10 },
    ];
    const transactions = () =>
      rows<{ customer_id: string; date: string; amount: number }>(
        db,
        "SELECT customer_id, date, amount FROM transactions ORDER BY date",
      );
    writeFileSync(config, JSON.stringify({ sources: { transactions: source } }));
    const guessed = runChurn(["ingest", "--source", dir, "--config", config, "--db", db]);
    expect(guessed.code, guessed.stderr).toBe(0);
    expect(guessed.stdout).toContain("orders.csv: not valid UTF-8 text (line 2), read as latin-1");
    expect(await transactions()).toEqual(expected);
    rmSync(db);
    writeFileSync(config, JSON.stringify({ sources: { transactions: { ...source, encoding: "utf-8" } } }));
    const refused = runChurn(["ingest", "--source", dir, "--config", config, "--db", db]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("not valid utf-8");
    expect(refused.stderr).toContain("Try --encoding latin-1");
    expect(existsSync(db)).toBe(false);
    writeFileSync(config, JSON.stringify({ sources: { transactions: { ...source, encoding: "latin-1" } } }));
    const loaded = runChurn(["ingest", "--source", dir, "--config", config, "--db", db]);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).not.toContain("read as latin-1");
    expect(await transactions()).toEqual(expected);
  });

  it("single-file form with quantity × price and a date format prints top-level counts", () => {
    const dir = tempDir();
    const file = join(dir, "sales.csv");
    writeFileSync(
      file,
      "cust,day,qty,unit,ref\na,2024/03/01 10:00,2,2.5,r1\nb,2024/03/02 11:30,-1,4,r2\nc,garbage,1,1,r3\n",
    );
    const r = runChurn([
      "ingest",
      "--transactions",
      file,
      "--customer",
      "cust",
      "--date",
      "day",
      "--quantity",
      "qty",
      "--price",
      "unit",
      "--order",
      "ref",
      "--date-format",
      "%Y/%m/%d %H:%M",
      "--db",
      join(dir, "w.duckdb"),
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ read: 3, loaded: 2, rejected: 1, reasons: { "unparseable date": 1 } });
  });
});

describe("churn ingest: dates no business record holds", () => {
  it("quarantines dates before 1900 and systems' 'no date' defaults, keeping old real dates", async () => {
    const { db, sources } = ingestFiles({
      "customers.csv":
        "customer_id,signup_date\n" +
        "a,2024-01-05\nb,1900-01-01\nc,1970-01-01\nd,1024-05-01\ne,1985-06-01\nf,1899-12-30\ng,1970-01-02\n",
      "transactions.csv": "customer_id,date,amount\na,2024-02-01,10\ne,1970-01-01,5\n",
    });
    expect(sources["customers"]).toMatchObject({ loaded: 3, reasons: { "implausible date": 4 } });
    expect(sources["transactions"]).toMatchObject({ loaded: 1, reasons: { "implausible date": 1 } });
    const kept = await rows<{ customer_id: string }>(db, "SELECT customer_id FROM customers ORDER BY 1");
    expect(kept.map((k) => k.customer_id)).toEqual(["a", "e", "g"]);
    const rejected = await rows<{ line: number; column: string }>(
      db,
      `SELECT line, "column" FROM rejected_rows WHERE file = 'customers.csv' ORDER BY line`,
    );
    expect(rejected).toEqual([2, 3, 4, 6].map((n) => ({ line: n + 1, column: "signup_date" })));
  });

  it("reads a subscription's 'no date' end as blank (still active), and says so", async () => {
    const { db, sources } = ingestFiles({
      "subscriptions.csv":
        "customer_id,start_date,end_date,plan,mrr\n" +
        "a,2024-01-05,1900-01-01,Pro,50\nb,2024-02-01,0001-01-01,Pro,40\nc,2024-03-01,2024-06-01,Pro,30\n",
    });
    expect(sources["subscriptions"]?.loaded).toBe(3);
    expect(sources["subscriptions"]?.notes).toContain(
      "subscriptions.csv (end_date): 2 values before 1900 or a system's " +
        '"no date" default (such as 1900-01-01) read as blank',
    );
    const ends = await rows<{ customer_id: string; end_date: string | null }>(
      db,
      "SELECT customer_id, end_date::VARCHAR AS end_date FROM subscriptions ORDER BY 1",
    );
    expect(ends.map((e) => e.end_date)).toEqual([null, null, "2024-06-01"]);
  });
});

describe("churn ingest: numbers no record holds below zero", () => {
  it("quarantines a negative MRR or acquisition cost, keeping refunds and a cancellation's lost MRR", async () => {
    const { db, sources } = ingestFiles({
      "subscriptions.csv":
        "customer_id,start_date,end_date,plan,mrr\na,2024-01-05,,Pro,50\nb,2024-02-01,,Pro,-40\nc,2024-03-01,,Pro,0\n",
      "customers.csv": "customer_id,signup_date,acquisition_cost\na,2024-01-05,120\nb,2024-02-01,-5\nc,2024-03-01,\n",
      "transactions.csv": "customer_id,date,amount,order_id\na,2024-02-05,-20,R1\n",
      "cancellations.csv": "customer_id,date,reason,mrr_lost\nc,2024-04-01,Price,-30\n",
    });
    expect(sources["subscriptions"]).toMatchObject({ loaded: 2, reasons: { "negative value": 1 } });
    expect(sources["customers"]).toMatchObject({ loaded: 2, reasons: { "negative value": 1 } });
    expect(sources["transactions"]).toMatchObject({ loaded: 1 });
    expect(sources["cancellations"]).toMatchObject({ loaded: 1 });
    const rejected = await rows(db, `SELECT file, line, "column", reason FROM rejected_rows ORDER BY file`);
    expect(rejected).toEqual([
      { file: "customers.csv", line: 3, column: "acquisition_cost", reason: "negative value" },
      { file: "subscriptions.csv", line: 3, column: "mrr", reason: "negative value" },
    ]);
  });
});
