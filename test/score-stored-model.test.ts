/**
 * `churn score` reuses the forest `churn build` stored in the warehouse (churn_model), through the real command line
 * on a seeded synthetic business (1,500 customers, two years, as of 2026-03-31): it predicts again from the
 * deserialized model (the build's churn_predictions are dropped first), `--retrain` trains anew with the same seed to
 * the same probabilities, and a stored model whose features no longer match the warehouse is retrained with a message.
 * Expected probabilities are the ones the build itself wrote, read back before each command runs. A run that fails
 * after it has retrained leaves the warehouse as it was: scoring works on a copy swapped in only at the end.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase, query, queryOne, run } from "../loaders/db.ts";
import { CATEGORICAL_FEATURES, NUMERIC_FEATURES } from "../models/forest/features.ts";
import { runChurn } from "./helpers/cli.ts";

const AS_OF = "2026-03-31";
let dir: string;
let built: string;
/** customer_id → [churn_probability, drivers_json] as the build wrote them. */
let buildScores: Map<string, [number, string]>;

interface Prediction {
  customer_id: string;
  churn_probability: number;
  drivers_json: string;
  [key: string]: unknown;
}

async function withDb<T>(path: string, f: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(path);
  try {
    return await f(db);
  } finally {
    db.close();
  }
}

const predictions = (path: string) =>
  withDb(path, (db) =>
    query<Prediction>(db.connection, "SELECT customer_id, churn_probability, drivers_json FROM churn_predictions"),
  );

/** A fresh copy of the built warehouse for one test. */
function copyOfBuilt(name: string): string {
  const path = join(dir, `${name}.duckdb`);
  copyFileSync(built, path);
  return path;
}

function expectBuildScores(rows: Prediction[]) {
  expect(rows.length).toBe(buildScores.size);
  let largest = 0;
  for (const r of rows) {
    const [p, drivers] = buildScores.get(r.customer_id) ?? [Number.NaN, ""];
    largest = Math.max(largest, Math.abs(r.churn_probability - p));
    expect(r.drivers_json, r.customer_id).toBe(drivers);
  }
  expect(largest).toBeLessThanOrEqual(1e-12);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "churn-stored-model-"));
  const exports = join(dir, "exports");
  const gen = runChurn(["generate", "--customers", "1500", "--from", "2024-04-01", "--to", AS_OF, "--out", exports]);
  if (gen.code !== 0) throw new Error(`churn generate failed:\n${gen.stderr}`);
  built = join(dir, "built.duckdb");
  const build = runChurn(["build", "--source", exports, "--db", built, "--no-site", "--quiet"], { timeoutMs: 600_000 });
  if (build.code !== 0) throw new Error(`churn build failed:\n${build.stderr}`);
  const rows = await predictions(built);
  buildScores = new Map(rows.map((r) => [r.customer_id, [r.churn_probability, r.drivers_json]]));
  // A model worth checking: hundreds of customers, probabilities spread out.
  expect(rows.length).toBeGreaterThan(500);
  expect(new Set(rows.map((r) => r.churn_probability)).size).toBeGreaterThan(100);
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("churn score with the model stored in the warehouse", () => {
  it("predicts again from the deserialized forest, to the build's probabilities and drivers", async () => {
    const db = copyOfBuilt("stored");
    // Without the build's predictions, the only way back to them is the stored model.
    await withDb(db, (d) => run(d.connection, "DROP TABLE churn_predictions"));
    const r = runChurn(["score", "--db", db, "--out", join(dir, "stored.csv"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`scoring with the stored model trained as of ${AS_OF}`);
    expect(r.stderr).not.toContain("training the churn forest");
    const out = JSON.parse(r.stdout);
    expect(out.model).toBe("stored");
    expect(out.riskSource).toBe("model");
    expectBuildScores(await predictions(db));
    // The list ranks by those probabilities.
    const listed = await withDb(db, (d) =>
      query<Prediction>(
        d.connection,
        `SELECT s.customer_id, s.churn_probability, p.drivers_json FROM scored_customers s
         JOIN churn_predictions p USING (customer_id) WHERE s.risk_source = 'model'`,
      ),
    );
    expect(listed.length).toBeGreaterThan(500);
    for (const row of listed) expect(row.churn_probability).toBe(buildScores.get(row.customer_id)![0]);
  }, 60_000);

  it("--retrain trains anew, and with the same seed gives the same probabilities", async () => {
    const db = copyOfBuilt("retrain");
    // Changed predictions, so that equality below can only come from the new training.
    await withDb(db, (d) => run(d.connection, "UPDATE churn_predictions SET churn_probability = 0.5"));
    const r = runChurn(["score", "--db", db, "--out", join(dir, "retrain.csv"), "--retrain", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`training the churn forest as of ${AS_OF} (--retrain)`);
    expect(r.stderr).not.toContain("scoring with the stored model");
    expect(JSON.parse(r.stdout).model).toBe("trained");
    expectBuildScores(await predictions(db));
    await withDb(db, async (d) => {
      const card = await queryOne<{ v: string }>(d.connection, "SELECT value AS v FROM model_card WHERE key = 'asOf'");
      expect(JSON.parse(card!.v)).toBe(AS_OF);
      const stored = await queryOne<{ a: string }>(d.connection, "SELECT trained_at_as_of AS a FROM churn_model");
      expect(stored!.a).toBe(AS_OF);
    });
  }, 60_000);

  it("retrains, with a message, when the stored model's features no longer match the warehouse's", async () => {
    const db = copyOfBuilt("stale");
    await withDb(db, async (d) => {
      const row = await queryOne<{ m: string }>(d.connection, "SELECT model AS m FROM churn_model");
      const model = JSON.parse(row!.m) as { encoder: { names: string[] } };
      model.encoder.names[model.encoder.names.indexOf("mrr")] = "monthly_revenue";
      await run(d.connection, "UPDATE churn_model SET model = $m", { m: JSON.stringify(model) });
    });
    const r = runChurn(["score", "--db", db, "--out", join(dir, "stale.csv"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      "the stored model is stale: its features differ from the warehouse's (the warehouse now gives mrr; " +
        "the model reads monthly_revenue, which the warehouse no longer gives)",
    );
    expect(r.stderr).toContain(`training the churn forest as of ${AS_OF}`);
    expect(r.stderr).not.toMatch(/unexpected failure|\n\s+at /);
    expect(JSON.parse(r.stdout).model).toBe("trained");
    expectBuildScores(await predictions(db));
    // The new stored model reads the warehouse's features again.
    const names = await withDb(db, async (d) => {
      const row = await queryOne<{ m: string }>(d.connection, "SELECT model AS m FROM churn_model");
      return (JSON.parse(row!.m) as { encoder: { names: string[] } }).encoder.names;
    });
    expect(names).toEqual([...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES]);
  }, 60_000);

  it("a run that fails after retraining leaves the warehouse byte for byte as it was, and no scratch copy", () => {
    const db = copyOfBuilt("failed");
    const sha = () => createHash("sha256").update(readFileSync(db)).digest("hex");
    const before = sha();
    // A file the user made where the list would go: refused, after the values and the forest were computed.
    const out = join(dir, "theirs.csv");
    writeFileSync(out, "my own notes\n");
    const r = runChurn(["score", "--db", db, "--out", out, "--retrain"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`training the churn forest as of ${AS_OF} (--retrain)`);
    expect(r.stderr).not.toMatch(/unexpected failure|\n\s+at /);
    expect(readFileSync(out, "utf8")).toBe("my own notes\n");
    expect(sha()).toBe(before);
    expect(readdirSync(dir).filter((f) => f.startsWith("failed.duckdb."))).toEqual([]);
  }, 60_000);

  it("churn train --db retrains the warehouse's model in place of the old one, through a copy", async () => {
    const db = copyOfBuilt("train");
    await withDb(db, (d) => run(d.connection, "UPDATE churn_predictions SET churn_probability = 0.5"));
    const r = runChurn(["train", "--db", db, "--json", "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    const card = JSON.parse(r.stdout) as { auc: number; backtestAuc: number };
    expect(card.auc).toBeGreaterThan(0.6);
    expectBuildScores(await predictions(db));
    expect(readdirSync(dir).filter((f) => f.startsWith("train.duckdb."))).toEqual([]);
  }, 60_000);
});
