/**
 * Ingest on the bundled sample and on the shared reference exports through the shipped example configs:
 * every deliberately bad row of the sample (listed by the generator in ground_truth.json) is rejected at its line
 * with the matching reason, and the Telco and CDNOW files load completely.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { describeWithReference, PROJECT_ROOT, referencePath } from "./helpers/reference.ts";

const EXPECTED_REASON: Record<string, string[]> = {
  empty_id: ["empty customer_id"],
  impossible_date: ["impossible date"],
  bad_number: ["unparseable number"],
  duplicate: ["duplicate row"],
  missing_field: ["too few fields"],
};

describe("ingest of the bundled sample", () => {
  it("rejects each injected bad row at its line with the right reason, and counts add up", async () => {
    const sample = join(PROJECT_ROOT, "data", "sample");
    const db = join(mkdtempSync(join(tmpdir(), "churn-sample-")), "w.duckdb");
    const result = await ingest({ source: sample }, db);
    for (const s of result.sources) {
      expect(s.read).toBe(s.loaded + s.rejected);
      // read = data lines of the file (no field in the sample spans two lines)
      const lines = readFileSync(join(sample, s.file), "utf8").trimEnd().split("\n").length - 1;
      expect(s.read, s.file).toBe(lines);
    }
    const truth = JSON.parse(readFileSync(join(sample, "ground_truth.json"), "utf8")) as {
      dirty_rows: { file: string; line: number; kind: string }[];
    };
    const database = await openDatabase(db, { readOnly: true });
    try {
      const rejected = await query<{ file: string; line: number; reason: string }>(
        database.connection,
        "SELECT file, line, reason FROM rejected_rows",
      );
      const byPlace = new Map(rejected.map((r) => [`${r.file}:${r.line}`, r.reason]));
      expect(truth.dirty_rows.length).toBeGreaterThan(100);
      for (const d of truth.dirty_rows) {
        expect(EXPECTED_REASON[d.kind], `${d.file}:${d.line} (${d.kind})`).toContain(
          byPlace.get(`${d.file}:${d.line}`),
        );
      }
    } finally {
      database.close();
    }
  });
});

describeWithReference("ingest of the shared reference exports with the shipped configs", () => {
  it("loads IBM Telco (7,043 customers, one subscription each, 1,869 ended)", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "churn-telco-")), "w.duckdb");
    const result = await ingest(
      { source: referencePath("telco"), config: join(PROJECT_ROOT, "data", "configs", "telco.json") },
      db,
    );
    expect(result.sources.map((s) => [s.source, s.loaded, s.rejected])).toEqual([
      ["customers", 7043, 0],
      ["subscriptions", 7043, 0],
    ]);
    const database = await openDatabase(db, { readOnly: true });
    try {
      const [row] = await query<{ ended: number; tenure0: number }>(
        database.connection,
        `SELECT count(*) FILTER (WHERE end_date IS NOT NULL)::INTEGER AS ended,
                count(*) FILTER (WHERE start_date = DATE '2024-01-31')::INTEGER AS tenure0
         FROM subscriptions`,
      );
      // SOURCES.md: Churn Yes = 1,869; 11 customers have tenure 0.
      expect(row).toEqual({ ended: 1869, tenure0: 11 });
    } finally {
      database.close();
    }
  });

  it("loads CDNOW_sample.txt (6,919 transactions, 2,357 customers, 1997-01-01 .. 1998-06-30)", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "churn-cdnow-")), "w.duckdb");
    const result = await ingest(
      { source: referencePath("cdnow"), config: join(PROJECT_ROOT, "data", "configs", "cdnow.json") },
      db,
    );
    expect(result.sources[0]).toMatchObject({ source: "transactions", read: 6919, loaded: 6919, rejected: 0 });
    expect(result.derivedCustomers).toBe(true);
    expect([result.dataFrom, result.dataTo]).toEqual(["1997-01-01", "1998-06-30"]);
    const database = await openDatabase(db, { readOnly: true });
    try {
      const [row] = await query<{ customers: number }>(
        database.connection,
        "SELECT count(*)::INTEGER AS customers FROM customers",
      );
      expect(row!.customers).toBe(2357);
    } finally {
      database.close();
    }
  });
});
