/**
 * Customer value on the bundled sample: the BG/NBD fit recovers the generator's true parameters (ground_truth.json)
 * within 2.5 standard errors, Gamma-Gamma lands near its true values, and customer_value is complete and finite.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query, type Database } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { analyzeValue } from "../models/value/analyze.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const sample = join(PROJECT_ROOT, "data", "sample");
const truth = JSON.parse(readFileSync(join(sample, "ground_truth.json"), "utf8")) as {
  parameters: { bgnbd: Record<string, number>; gammaGamma: Record<string, number> };
};

describe("customer value on the generated sample", () => {
  let db: Database;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON read back from the warehouse, checked field by field below
  let model: Record<string, any>;
  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "churn-value-")), "w.duckdb");
    const result = await ingest({ source: sample }, path);
    db = await openDatabase(path);
    const report = await analyzeValue({ conn: db.connection, dbPath: path, asOf: result.asOf, seed: 1, log: () => {} });
    expect(report.ran).toBe(true);
    model = Object.fromEntries(
      (await query<{ key: string; value: string }>(db.connection, "SELECT key, value FROM value_model")).map((r) => [
        r.key,
        JSON.parse(r.value),
      ]),
    );
  });

  it("recovers the true BG/NBD r, α, a, b within 2.5 standard errors", () => {
    const fit = model["bgnbd"];
    for (const k of ["r", "alpha", "a", "b"]) {
      const z = Math.abs(fit[k] - truth.parameters.bgnbd[k]!) / fit.se[k];
      expect(z, `${k}: fitted ${fit[k]} ± ${fit.se[k]}, true ${truth.parameters.bgnbd[k]}`).toBeLessThan(2.5);
    }
  });

  it("lands Gamma-Gamma near the true p, q, γ (within 15%) and finds no frequency-spend correlation", () => {
    const gg = model["gammaGamma"];
    expect(Math.abs(gg.p / truth.parameters.gammaGamma["p"]! - 1)).toBeLessThan(0.15);
    expect(Math.abs(gg.q / truth.parameters.gammaGamma["q"]! - 1)).toBeLessThan(0.15);
    expect(Math.abs(gg.v / truth.parameters.gammaGamma["gamma"]! - 1)).toBeLessThan(0.15);
    expect(Math.abs(gg.frequencySpendCorrelation)).toBeLessThan(0.1);
  });

  it("gives every customer a finite CLV and its method, and puts active ones in a quadrant and tier", async () => {
    const [row] = await query<{ n: number; bad: number; methods: number; unplaced: number }>(
      db.connection,
      `SELECT count(*)::INTEGER AS n,
              count(*) FILTER (WHERE clv IS NULL OR NOT isfinite(clv) OR clv < 0)::INTEGER AS bad,
              count(DISTINCT clv_method)::INTEGER AS methods,
              count(*) FILTER (WHERE active AND (quadrant IS NULL OR tier IS NULL))::INTEGER AS unplaced
       FROM customer_value`,
    );
    expect(row!.n).toBeGreaterThan(4000);
    expect(row!.bad).toBe(0);
    expect(row!.methods).toBe(2);
    expect(row!.unplaced).toBe(0);
  });

  it("predicts holdout purchases by calibration frequency within 25% for the well-populated bins", async () => {
    const bins = await query<{ frequency: string; customers: number; actual: number; predicted: number }>(
      db.connection,
      "SELECT * FROM value_holdout",
    );
    for (const b of bins.filter((x) => x.customers >= 100))
      expect(Math.abs(b.predicted / b.actual - 1), b.frequency).toBeLessThan(0.25);
  });
});
