/**
 * Cancellation reasons end to end on a small hand-made export (test/fixtures/reasons, as of 2026-06-30): the bad-row
 * rules of ingest, the churn_reasons table, `churn reasons --json`, a layout mapped by a config file, and the
 * fallback to cancellation requests in the interactions. Every expected number is worked out by hand below from the
 * fixture's lines (cancellations.csv: header = line 1).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query, run } from "../loaders/db.ts";
import { analyzeReasons } from "../models/reasons/analyze.ts";
import { buildReasonEvents } from "../models/reasons/events.ts";
import { loadReasonRules } from "../models/reasons/rules.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const FIXTURE = join(PROJECT_ROOT, "test", "fixtures", "reasons");
const AS_OF = "2026-06-30";

function ingest(source: string, extra: string[] = []): { db: string; json: Record<string, unknown> } {
  const db = join(mkdtempSync(join(tmpdir(), "churn-reasons-")), "w.duckdb");
  const r = runChurn(["ingest", "--source", source, "--db", db, "--as-of", AS_OF, "--json", ...extra]);
  if (r.code !== 0) throw new Error(r.stderr);
  return { db, json: JSON.parse(r.stdout) };
}

function reasonsJson(db: string): ReasonsOutput {
  const r = runChurn(["reasons", "--db", db, "--json"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as ReasonsOutput;
}

interface ReasonsOutput {
  source: string;
  reasons: {
    reason: string;
    category: string;
    group: string | null;
    events: number;
    customers: number;
    lostMrr: number;
  }[];
  months: { month: string; reason: string; events: number }[];
  unclassified: number;
  unclassifiedReasons: string[];
  churned: { churned: number; withoutReason: number; share: number };
}

/**
 * The reasons up to 2026-06-30 (line: customer, date → category [why], lost MRR [why]):
 *  2  a 2026-03-01 Too expensive → internal [rule: price]; 49 [a's MRR on 02-28]
 *  3  b 2026-04-15 Switched to competitor → external [given]; 149 [|−149|]
 *  4  c 2025-10-01 Missing features → internal [rule: features]; 150 [c's first subscription on 09-30]
 *  5  c 2026-05-01 Poor support → internal [given "Internal"]; 55 [given]
 *  6  d 2026-05-20 Moved abroad → external [rule: moved]; 45 [d's MRR on 05-19]
 *  7  e 2026-06-10 Reorganisation → unclassified [no rule]; 500 [given]
 * 14  b 2026-04-15 Price → external [given; the rule would say internal]; 149 [b's MRR on 04-14]
 * 15  d 2026-05-21 Moved abroad → external; 45 [no subscription on 05-20: the one that ended on 05-20]
 * 16  h 2025-06-01 Too expensive → internal; 39 [h's first subscription on 05-31]
 * Not counted: line 13 (g, 2026-07-15, after the as-of date) and the five rejected rows (8–12).
 */
const EXPECTED_TABLE = [
  { month: "2025-06", reason: "Too expensive", category: "internal", cancellations: 1, customers: 1, lost_mrr: 39 },
  { month: "2025-10", reason: "Missing features", category: "internal", cancellations: 1, customers: 1, lost_mrr: 150 },
  { month: "2026-03", reason: "Too expensive", category: "internal", cancellations: 1, customers: 1, lost_mrr: 49 },
  { month: "2026-04", reason: "Price", category: "external", cancellations: 1, customers: 1, lost_mrr: 149 },
  {
    month: "2026-04",
    reason: "Switched to competitor",
    category: "external",
    cancellations: 1,
    customers: 1,
    lost_mrr: 149,
  },
  { month: "2026-05", reason: "Moved abroad", category: "external", cancellations: 2, customers: 1, lost_mrr: 90 },
  { month: "2026-05", reason: "Poor support", category: "internal", cancellations: 1, customers: 1, lost_mrr: 55 },
  {
    month: "2026-06",
    reason: "Reorganisation",
    category: "unclassified",
    cancellations: 1,
    customers: 1,
    lost_mrr: 500,
  },
];

describe("cancellations.csv: ingest, churn_reasons and churn reasons", () => {
  let db: string;
  let loaded: Record<string, unknown>;
  beforeAll(() => {
    const r = ingest(FIXTURE);
    db = r.db;
    loaded = r.json;
  });

  it("rejects bad rows with their line, column and reason, and read = loaded + rejected", async () => {
    const c = (loaded["sources"] as Record<string, { read: number; loaded: number; rejected: number }>)[
      "cancellations"
    ]!;
    // 15 data lines; 5 rejected (lines 8–12), 10 loaded (line 13 too: it is a valid row, only after the as-of date).
    expect(c).toMatchObject({ read: 15, loaded: 10, rejected: 5 });
    const database = await openDatabase(db, { readOnly: true });
    try {
      const rejected = await query(
        database.connection,
        `SELECT line::INTEGER AS line, "column", reason FROM rejected_rows
         WHERE source = 'cancellations' ORDER BY line`,
      );
      expect(rejected).toEqual([
        { line: 8, column: null, reason: "duplicate row" },
        { line: 9, column: "customer_id", reason: "empty customer_id" },
        { line: 10, column: "date", reason: "impossible date" },
        { line: 11, column: "reason", reason: "empty reason" },
        { line: 12, column: "mrr_lost", reason: "unparseable number" },
      ]);
    } finally {
      database.close();
    }
  });

  it("writes churn_reasons per month, reason and category (counts and lost MRR by hand, see above)", async () => {
    const database = await openDatabase(db);
    try {
      const ctx = { conn: database.connection, dbPath: db, asOf: AS_OF, seed: 1, log: () => {} };
      const report = await analyzeReasons(ctx);
      expect(report.summary).toMatchObject({ source: "cancellations", events: 9, unclassified: 1 });
      const table = await query(
        database.connection,
        "SELECT month, reason, category, cancellations, customers, lost_mrr, lost_clv FROM churn_reasons ORDER BY ALL",
      );
      // No customer values in this warehouse (the value analysis did not run), so no lost CLV.
      expect(table).toEqual(EXPECTED_TABLE.map((r) => ({ ...r, lost_clv: null })));
    } finally {
      database.close();
    }
  });

  it("gives a quadrant on the landmark only to reasons dated after the landmark", async () => {
    const database = await openDatabase(db);
    try {
      const c = database.connection;
      await run(
        c,
        `CREATE TEMP TABLE q AS SELECT * FROM (VALUES ('a', 'true friends', DATE '2026-01-01'),
         ('c', 'barnacles', DATE '2026-01-01')) t(customer_id, quadrant, landmark)`,
      );
      await buildReasonEvents(c, AS_OF, loadReasonRules(), { table: "ev", temp: true, quadrants: "q" });
      const rows = await query(
        c,
        `SELECT customer_id, CAST(date AS VARCHAR) AS date, quadrant FROM ev
         WHERE customer_id IN ('a', 'c') ORDER BY 1, 2`,
      );
      // a left 2026-03-01 and c on 2026-05-01, after the landmark; c's 2025-10-01 reason came before it.
      expect(rows).toEqual([
        { customer_id: "a", date: "2026-03-01", quadrant: "true friends" },
        { customer_id: "c", date: "2025-10-01", quadrant: null },
        { customer_id: "c", date: "2026-05-01", quadrant: "barnacles" },
      ]);
    } finally {
      database.close();
    }
  });

  it("churn reasons --json gives the reasons, months, unclassified events and the churned with no reason", () => {
    const out = reasonsJson(db);
    expect(out.source).toBe("cancellations");
    // Sorted by events, then reason. Too expensive: lines 2 + 16 (49 + 39); Moved abroad: lines 6 + 15 (one customer).
    expect(out.reasons).toEqual([
      { reason: "Moved abroad", category: "external", group: "moved", events: 2, customers: 1, lostMrr: 90 },
      { reason: "Too expensive", category: "internal", group: "price", events: 2, customers: 2, lostMrr: 88 },
      { reason: "Missing features", category: "internal", group: "features", events: 1, customers: 1, lostMrr: 150 },
      { reason: "Poor support", category: "internal", group: "support", events: 1, customers: 1, lostMrr: 55 },
      { reason: "Price", category: "external", group: "price", events: 1, customers: 1, lostMrr: 149 },
      { reason: "Reorganisation", category: "unclassified", group: null, events: 1, customers: 1, lostMrr: 500 },
      {
        reason: "Switched to competitor",
        category: "external",
        group: "competitor",
        events: 1,
        customers: 1,
        lostMrr: 149,
      },
    ]);
    expect(out.months).toEqual(
      EXPECTED_TABLE.map((r) => ({ month: r.month, reason: r.reason, events: r.cancellations })).sort(
        (x, y) => x.month.localeCompare(y.month) || y.events - x.events || x.reason.localeCompare(y.reason),
      ),
    );
    expect(out.unclassified).toBe(1);
    expect(out.unclassifiedReasons).toEqual(["Reorganisation"]);
    // Churned by 2026-06-30: a, b, c, d, e, f, h (g is still subscribed); f alone has no reason at all.
    expect(out.churned).toMatchObject({ churned: 7, withoutReason: 1 });
    expect(out.churned.share).toBeCloseTo(1 / 7, 12);
  });

  it("the human report names the unclassified reasons and the share with no reason", () => {
    const r = runChurn(["reasons", "--db", db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("add their reasons to data/rules/reasons.json: Reorganisation");
    expect(r.stdout).toContain("1 of 7 churned customers (14.3%) gave no reason");
  });
});

describe("cancellations in another layout, mapped by a config file", () => {
  it("loads them through the config and counts the same reasons", () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-reasons-mapped-"));
    for (const f of ["customers.csv", "subscriptions.csv"]) copyFileSync(join(FIXTURE, f), join(dir, f));
    // The fixture's rows as a billing tool might export them: other names, day/month/year dates, ';' separated.
    const lines = readFileSync(join(FIXTURE, "cancellations.csv"), "utf8").trimEnd().split("\n").slice(1);
    const rows = lines.map((line) => {
      const f = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((x) => x.replace(/,$/, "").replace(/^"|"$/g, ""));
      const [y, m, d] = f[1]!.split("-");
      return [f[0], `${d}/${m}/${y}`, f[2], f[3], f[4], f[5]].join(";");
    });
    writeFileSync(
      join(dir, "churn_export.csv"),
      `Account;Cancelled on;Churn Reason;Type;Feedback;MRR\n${rows.join("\n")}\n`,
    );
    const config = {
      sources: {
        customers: { file: "customers.csv" },
        subscriptions: { file: "subscriptions.csv" },
        cancellations: {
          file: "churn_export.csv",
          delimiter: ";",
          date_format: "%d/%m/%Y",
          columns: {
            customer_id: "Account",
            date: "Cancelled on",
            reason: "Churn Reason",
            category: "Type",
            note: "Feedback",
            mrr_lost: "MRR",
          },
        },
      },
    };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    const { db, json } = ingest(dir, ["--config", join(dir, "config.json")]);
    const c = (json["sources"] as Record<string, { read: number; loaded: number; rejected: number }>)["cancellations"]!;
    expect(c).toMatchObject({ read: 15, loaded: 10, rejected: 5 });
    const out = reasonsJson(db);
    expect(out.reasons.map((r) => [r.reason, r.category, r.events, r.customers, r.lostMrr])).toEqual([
      ["Moved abroad", "external", 2, 1, 90],
      ["Too expensive", "internal", 2, 2, 88],
      ["Missing features", "internal", 1, 1, 150],
      ["Poor support", "internal", 1, 1, 55],
      ["Price", "external", 1, 1, 149],
      ["Reorganisation", "unclassified", 1, 1, 500],
      ["Switched to competitor", "external", 1, 1, 149],
    ]);
  });
});

describe("no cancellations export: cancellation requests with a note count as reasons", () => {
  it("uses the note as the reason, skipping requests without a note and customers who asked and stayed", () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-reasons-requests-"));
    mkdirSync(dir, { recursive: true });
    for (const f of ["customers.csv", "subscriptions.csv"]) copyFileSync(join(FIXTURE, f), join(dir, f));
    writeFileSync(
      join(dir, "interactions.csv"),
      [
        "customer_id,date,type,channel,mood,note",
        "a,2026-02-20,cancellation_request,phone,unhappy,Too expensive for us", // counts: a left on 03-01
        "g,2026-05-01,cancellation_request,email,neutral,Considering a competitor", // g asked and stayed
        "b,2026-04-01,cancellation_request,phone,neutral,", // no note
        "c,2026-04-20,complaint,phone,unhappy,Too expensive", // not a cancellation request
        "d,2026-05-10,cancellation_request,chat,unhappy,Moved to another city", // counts
      ].join("\n"),
    );
    const { db } = ingest(dir);
    const out = reasonsJson(db);
    expect(out.source).toBe("interactions");
    // Lost MRR: a's MRR on 02-19 (49), d's on 05-09 (45).
    expect(out.reasons).toEqual([
      { reason: "Moved to another city", category: "external", group: "moved", events: 1, customers: 1, lostMrr: 45 },
      { reason: "Too expensive for us", category: "internal", group: "price", events: 1, customers: 1, lostMrr: 49 },
    ]);
    expect(out.unclassified).toBe(0);
  });
});
