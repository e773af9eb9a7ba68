/**
 * `churn build` end to end on small constructed exports, through the real command line:
 * the warehouse holds every derived table the data support, and a refused build leaves the previous warehouse
 * untouched.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvParse } from "d3-dsv";
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
    const result = runChurn([
      "build",
      "--source",
      join(PROJECT_ROOT, "data", "sample"),
      "--db",
      db,
      "--no-site",
      "--json",
    ]);
    if (result.code !== 0) throw new Error(`build failed: ${result.stderr}`);
  });

  it("writes the raw and derived tables of every analysis the sample supports", async () => {
    const database = await openDatabase(db, { readOnly: true });
    try {
      const tables = (
        await query<{ name: string }>(database.connection, "SELECT table_name AS name FROM information_schema.tables")
      ).map((r) => r.name);
      for (const table of [
        "customers",
        "transactions",
        "subscriptions",
        "interactions",
        "surveys",
        "rejected_rows",
        "warehouse_meta",
        "monthly_metrics",
        "cohort_retention",
        "survival_curves",
        "survival_summary",
        "survival_logrank",
        "customer_value",
        "value_model",
        "value_holdout",
        "value_tracking",
        "value_quadrants",
        "churn_predictions",
        "model_card",
        "churn_model",
        "symptom_events",
        "scored_customers",
        "action_summary",
        "forecast",
        "forecast_backtest",
      ]) {
        expect(tables, `table ${table}`).toContain(table);
      }
      // Every month of the whole base keeps the MRR identity.
      const [bad] = await query<{ n: number }>(
        database.connection,
        `SELECT count(*)::INTEGER AS n FROM monthly_metrics WHERE abs(mrr_end - (mrr_start + mrr_new + mrr_reactivation
           + mrr_expansion - mrr_contraction - mrr_churned)) > 0.01`,
      );
      expect(bad!.n).toBe(0);
      // Every listed customer has a probability in [0, 1] and a finite value at risk.
      const [scored] = await query<{ n: number; bad: number }>(
        database.connection,
        // Model mode: every active customer has a probability in [0, 1] and a finite value at risk (NULL is bad).
        `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE churn_probability IS NULL
           OR NOT (churn_probability BETWEEN 0 AND 1) OR value_at_risk IS NULL
           OR NOT isfinite(value_at_risk))::INTEGER AS bad
         FROM scored_customers WHERE status = 'active' AND risk_source = 'model'`,
      );
      expect(scored!.n).toBeGreaterThan(1000);
      expect(scored!.bad).toBe(0);
    } finally {
      database.close();
    }
  });

  it("churn score writes the list sorted by value at risk, formula names neutralised, reusing the stored model", () => {
    const out = join(dir, "at-risk.csv");
    const r = runChurn(["score", "--db", db, "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("training the churn forest");
    expect(r.stderr).toContain("scoring with the stored model trained as of");
    expect(JSON.parse(r.stdout).model).toBe("stored");
    const text = readFileSync(out, "utf8");
    const rows = csvParse(text.replace(/^\ufeff/, "").replace(/\r\n/g, "\n"));
    expect(rows.columns.slice(0, 3)).toEqual(["customer_id", "name", "segment"]);
    for (const c of [
      "churn_probability",
      "clv",
      "value_at_risk",
      "health_score",
      "symptoms",
      "top_drivers",
      "recommended_action",
    ])
      expect(rows.columns).toContain(c);
    const risk = rows.map((x) => Number(x.value_at_risk));
    expect(risk).toEqual([...risk].sort((a, b) => b - a));
    expect(rows.every((x) => x.risk_source === "model")).toBe(true);
    for (const row of rows) expect(row.name ?? "", row.customer_id).not.toMatch(/^[=+\-@]/);
  });

  it("churn score --no-model ranks every active customer by rules, with no probability", () => {
    const copy = join(dir, "no-model.duckdb");
    copyFileSync(db, copy);
    const withModel = join(dir, "with-model.csv");
    expect(runChurn(["score", "--db", copy, "--out", withModel]).code).toBe(0);
    const out = join(dir, "no-model.csv");
    const r = runChurn(["score", "--db", copy, "--out", out, "--no-model", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("training the churn forest");
    expect(JSON.parse(r.stdout).model).toBe("none");
    const parse = (f: string) =>
      csvParse(
        readFileSync(f, "utf8")
          .replace(/^\ufeff/, "")
          .replace(/\r\n/g, "\n"),
      );
    const rules = parse(out);
    expect(rules.every((x) => x.risk_source === "rules" && x.churn_probability === "")).toBe(true);
    expect(rules.filter((x) => x.status === "active").every((x) => x.value_at_risk === "")).toBe(true);
    // Rules mode lists the active customers by the workspace's rule: subscribers and buyers within the window W.
    const active = rules.filter((x) => x.status === "active").length;
    expect(active).toBeGreaterThan(1000);
    expect(rules.filter((x) => x.status !== "active").length).toBe(
      parse(withModel).filter((x) => x.status !== "active").length,
    );
  });

  it("churn readout reports a campaign's churn difference, its test and its return", async () => {
    const database = await openDatabase(db, { readOnly: true });
    const ids = await query<{ customer_id: string }>(
      database.connection,
      "SELECT customer_id FROM customer_value WHERE kind = 'subscriber' ORDER BY customer_id LIMIT 400",
    );
    database.close();
    const file = join(dir, "assignments.csv");
    writeFileSync(
      file,
      `customer_id,campaign,group,date\n${ids
        .map((r, i) => `${r.customer_id},call,${i % 2 ? "treatment" : "control"},2026-03-01`)
        .join("\n")}\nC9,call,control,2026-03-01,extra\n`,
    );
    const r = runChurn(["readout", "--db", db, "--assignments", file, "--cost", "10", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    // The row the reader could not split is said, not dropped in silence.
    expect(r.stderr).toContain("assignments.csv: 1 of 401 rows left out (too many fields 1; first at line 402).");
    const [c] = JSON.parse(r.stdout).campaigns;
    expect(c.control.n + c.treatment.n).toBeLessThanOrEqual(400);
    expect(c.effect).toBeCloseTo(c.control.rate - c.treatment.rate, 12);
    expect(c.chisq).toBeCloseTo(c.z * c.z, 9);
    expect(c.p).toBeGreaterThanOrEqual(0);
    expect(c.p).toBeLessThanOrEqual(1);
    expect(c.return).toBeCloseTo(c.valueSaved - 10 * c.treatment.n, 6);
    expect(c.roi).toBeCloseTo(c.return / (10 * c.treatment.n), 9);
    // Stored for the monthly report's retention ROI.
    const stored = await openDatabase(db, { readOnly: true });
    const [row] = await query<{ campaign: string; treatment_n: number; net_return: number; roi: number }>(
      stored.connection,
      "SELECT campaign, treatment_n, net_return, roi FROM campaign_readout",
    );
    stored.close();
    expect(row).toMatchObject({ campaign: "call", treatment_n: c.treatment.n });
    expect(row!.net_return).toBeCloseTo(c.return, 6);
    expect(row!.roi).toBeCloseTo(c.roi, 9);
    writeFileSync(file, "customer_id,campaign,group,date\nC1,call,maybe,2026-03-01\n");
    const bad = runChurn(["readout", "--db", db, "--assignments", file]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('line 2, column group: "maybe" is neither treatment nor control');
  });

  it("churn score at another as-of date leaves the warehouse byte-identical (it scores a scratch copy)", () => {
    const before = sha(db);
    const out = join(dir, "at-risk-earlier.csv");
    const r = runChurn(["score", "--db", db, "--out", out, "--as-of", "2026-06-30", "--json"], { timeoutMs: 900_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).asOf).toBe("2026-06-30");
    expect(JSON.parse(r.stdout).model).toBe("trained");
    expect(sha(db)).toBe(before);
    expect(readdirSync(dir).filter((f) => f.includes(".build-"))).toEqual([]);
  }, 900_000);

  it("a second writer on the same warehouse is refused while the first holds it, and nothing changes", () => {
    const before = sha(db);
    // The lock of a live run: this test process stands in for it.
    const lock = join(dir, ".warehouse.duckdb.churn-lock");
    writeFileSync(lock, JSON.stringify({ pid: process.pid, command: "build", started: "now" }));
    try {
      const r = runChurn(["score", "--db", db, "--out", join(dir, "x.csv")]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`being written by another churn run \\(pid ${process.pid}`));
      const b = runChurn(["build", "--source", join(PROJECT_ROOT, "data", "sample"), "--db", db, "--no-site"]);
      expect(b.code).not.toBe(0);
      expect(b.stderr).toMatch(/being written by another churn run/);
    } finally {
      rmSync(lock, { force: true });
    }
    expect(sha(db)).toBe(before);
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
