/**
 * `churn build` starts the forecast's groundwork on a second connection beside the value stage, and the value stage
 * and the forecast share the buyers' BG/NBD fit (models/value/buyer-fit.ts). Neither may change a number: the tables
 * equal those of the same stages run one after the other with nothing started early or shared.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase, query } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { analyzeCohorts } from "../models/cohorts/analyze.ts";
import { analyzeForecast } from "../models/forecast/analyze.ts";
import { type PipelineStage, runPipeline } from "../models/pipeline.ts";
import { analyzeSurvival } from "../models/survival/analyze.ts";
import { analyzeValue } from "../models/value/analyze.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const STAGES: PipelineStage[] = [
  { name: "cohorts", analysis: analyzeCohorts },
  { name: "survival", analysis: analyzeSurvival },
  { name: "value", analysis: analyzeValue },
  { name: "forecast", analysis: analyzeForecast },
];

async function tables(db: Database): Promise<Record<string, unknown>> {
  const read = (sql: string) => query(db.connection, sql);
  return {
    forecast: await read("SELECT * FROM forecast ORDER BY scenario, month"),
    backtest: await read("SELECT * FROM forecast_backtest ORDER BY month"),
    customerValue: await read("SELECT * FROM customer_value ORDER BY customer_id"),
    valueModel: await read("SELECT key, value FROM value_model ORDER BY key"),
    holdout: await read("SELECT * FROM value_holdout ORDER BY frequency"),
    forecastMeta: await read("SELECT value FROM warehouse_meta WHERE key = 'forecast'"),
  };
}

describe("the forecast's groundwork started beside the value stage, with the buyers' fit shared", () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-groundwork-"));
  let early: Record<string, unknown>;
  let inTurn: Record<string, unknown>;
  let connections = 0;

  beforeAll(async () => {
    const ingested = join(dir, "ingested.duckdb");
    const { asOf } = await ingest({ source: join(PROJECT_ROOT, "data", "sample") }, ingested);
    for (const name of ["early", "in-turn"]) {
      const path = join(dir, `${name}.duckdb`);
      copyFileSync(ingested, path);
      const db = await openDatabase(path);
      try {
        const ctx = { conn: db.connection, dbPath: path, asOf, seed: 1, log: () => {} };
        if (name === "early") {
          const connect = () => {
            connections++;
            return db.instance.connect();
          };
          await runPipeline({ ...ctx, connect }, () => {}, STAGES);
          early = await tables(db);
        } else {
          // One stage after another, each alone: no second connection, no hand-over between stages.
          for (const stage of STAGES) await stage.analysis(ctx);
          inTurn = await tables(db);
        }
      } finally {
        db.close();
      }
    }
  }, 240_000);

  it("started it on a second connection, and every forecast and value number is the same", () => {
    expect(connections).toBe(1);
    expect((early["forecast"] as unknown[]).length).toBeGreaterThan(0);
    expect((early["customerValue"] as unknown[]).length).toBeGreaterThan(0);
    expect((early["holdout"] as unknown[]).length).toBeGreaterThan(0);
    // The shared fit is the one with standard errors.
    const model = early["valueModel"] as { key: string; value: string }[];
    expect(JSON.parse(model.find((m) => m.key === "bgnbd")!.value).se.r).toBeGreaterThan(0);
    expect(early).toEqual(inTurn);
  });
});
