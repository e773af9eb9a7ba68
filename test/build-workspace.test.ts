/**
 * `churn build` end to end on small constructed exports, through the real command line:
 * the warehouse holds every derived table the data support, and a refused build leaves the previous warehouse untouched.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("churn build (warehouse and analyses, no site)", () => {
  let dir: string;
  let db: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "churn-build-"));
    db = join(dir, "warehouse.duckdb");
    const result = runChurn(["build", "--source", join(PROJECT_ROOT, "data", "sample"), "--db", db, "--no-site", "--json"]);
    if (result.code !== 0) throw new Error(`build failed: ${result.stderr}`);
  });

  it("writes the raw and derived tables of every analysis the sample supports", async () => {
    const database = await openDatabase(db, { readOnly: true });
    try {
      const tables = (await query<{ name: string }>(database.connection, "SELECT table_name AS name FROM information_schema.tables")).map((r) => r.name);
      for (const table of [
        "customers", "transactions", "subscriptions", "interactions", "surveys", "rejected_rows", "warehouse_meta",
        "monthly_metrics", "cohort_retention",
      ]) {
        expect(tables, `table ${table}`).toContain(table);
      }
      // Every month of the whole base keeps the MRR identity.
      const [bad] = await query<{ n: number }>(
        database.connection,
        "SELECT count(*)::INTEGER AS n FROM monthly_metrics WHERE abs(mrr_end - (mrr_start + mrr_new + mrr_reactivation + mrr_expansion - mrr_contraction - mrr_churned)) > 0.01",
      );
      expect(bad!.n).toBe(0);
    } finally {
      database.close();
    }
  });

  it("refuses a broken export without touching the previous warehouse or leaving temporary files", () => {
    const before = sha(db);
    const broken = join(dir, "broken");
    mkdirSync(broken);
    writeFileSync(join(broken, "transactions.csv"), "customer_id,amount\nc1,10\n");
    const result = runChurn(["build", "--source", broken, "--db", db, "--no-site"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/date/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(sha(db)).toBe(before);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
  });
});
