import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildWorkspace } from "../bin/build/workspace.ts";
import { type Database, openDatabase, query } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { ACTIONS_WRITES, scoredListCsv } from "../models/actions/analyze.ts";
import { analyzeCohorts } from "../models/cohorts/analyze.ts";
import { analyzeForecast, FORECAST_TABLES } from "../models/forecast/analyze.ts";
import { type PipelineStage, pipelineWithoutModel } from "../models/pipeline.ts";
import { dataLoaders, readsAny } from "../src/data/lib/site-data.ts";
import { hashTree } from "./helpers/files.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const SAMPLE = join(PROJECT_ROOT, "data", "sample");

describe("the order the data files are written in", () => {
  it("is Framework's copy order: page by page, a page's linked downloads before the files its code reads", () => {
    const root = mkdtempSync(join(tmpdir(), "churn-order-"));
    const data = join(root, "data");
    mkdirSync(data);
    writeFileSync(
      join(root, "b.md"),
      '```js\nconst x = FileAttachment("data/b.json").json();\n```\n<a download href="./data/b.csv">all</a>\n',
    );
    writeFileSync(join(root, "a.md"), '```js\nconst y = FileAttachment("data/a.json").json();\n```\n');
    for (const f of ["z.json.ts", "b.json.ts", "b.csv.ts", "a.json.ts"]) writeFileSync(join(data, f), "export {};\n");
    expect(dataLoaders(data).map((l) => l.output)).toEqual(["a.json", "b.csv", "b.json", "z.json"]);
  });
});

describe("which data files wait for the last stage", () => {
  it("report.json (it reads the forecast) waits; the others, the at-risk list among them, do not", () => {
    const held = dataLoaders()
      .filter((l) => readsAny(l.file, FORECAST_TABLES))
      .map((l) => l.output);
    expect(held).toEqual(["report.json"]);
  });

  it("the at-risk list, the plan and the report wait for the actions stage; the other pages' files do not", () => {
    const held = dataLoaders()
      .filter((l) => readsAny(l.file, ACTIONS_WRITES))
      .map((l) => l.output)
      .sort();
    expect(held).toEqual([
      "at-risk.arrow",
      "at-risk.csv",
      "at-risk.json",
      "plan.csv",
      "plan.json",
      "report.json",
      "risk-source.json",
    ]);
  });

  it("follows the loader's own imports, and a word in a comment is not a read", () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-reads-"));
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "lib", "helper.ts"), 'export const sql = "SELECT * FROM forecast_backtest";\n');
    writeFileSync(join(dir, "via-import.json.ts"), 'import { sql } from "./lib/helper.ts";\nconsole.log(sql);\n');
    writeFileSync(join(dir, "meta-key.json.ts"), 'const key = "forecast";\n');
    writeFileSync(join(dir, "comment.json.ts"), "// the forecast is shown on another page\nexport {};\n");
    // A type-only import carries no code, so no query: it is not followed.
    writeFileSync(join(dir, "type-only.json.ts"), 'import type { X } from "./lib/helper.ts";\nexport {};\n');
    expect(readsAny(join(dir, "via-import.json.ts"), FORECAST_TABLES)).toBe(true);
    expect(readsAny(join(dir, "meta-key.json.ts"), FORECAST_TABLES)).toBe(true);
    expect(readsAny(join(dir, "comment.json.ts"), FORECAST_TABLES)).toBe(false);
    expect(readsAny(join(dir, "type-only.json.ts"), FORECAST_TABLES)).toBe(false);
  });
});

describe("what the stage the site starts beside declares it writes", () => {
  /** Every main-schema table's content digest and every warehouse_meta value, by name. */
  async function state(db: Database): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const tables = await query<{ name: string }>(
      db.connection,
      // The warehouse's own tables and views (temporary ones live in the connection's temp catalog, no one else's).
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_catalog = current_database() AND table_schema = 'main' ORDER BY 1`,
    );
    for (const { name } of tables) {
      const quoted = `"${name.replace(/"/g, '""')}"`;
      const [row] = await query<{ h: string }>(
        db.connection,
        `SELECT md5(coalesce(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR)), '')) AS h
         FROM ${quoted} t`,
      );
      out.set(name, row!.h);
    }
    for (const m of await query<{ key: string; value: string }>(db.connection, "SELECT key, value FROM warehouse_meta"))
      out.set(`meta:${m.key}`, m.value);
    return out;
  }
  const changed = (before: Map<string, string>, after: Map<string, string>) =>
    [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k.replace(/^meta:/, ""));

  it("is exactly what they change in the warehouse (tables and warehouse_meta keys)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-writes-"));
    const path = join(dir, "w.duckdb");
    const { asOf } = await ingest({ source: SAMPLE }, path);
    const db = await openDatabase(path);
    try {
      const ctx = { conn: db.connection, dbPath: path, asOf, seed: 1, log: () => {} };
      const stages = pipelineWithoutModel();
      const declaring = stages.filter((s) => s.writes);
      expect(declaring.map((s) => s.name)).toEqual(["actions", "forecast"]);
      for (const stage of stages.filter((s) => !s.writes)) await stage.analysis(ctx);
      for (const stage of declaring) {
        const before = await state(db);
        await stage.analysis(ctx);
        // `warehouse_meta` itself changes with every key written; the keys are compared one by one.
        expect(new Set(changed(before, await state(db)).filter((k) => k !== "warehouse_meta"))).toEqual(
          new Set(stage.writes),
        );
      }
    } finally {
      db.close();
    }
  }, 120_000);
});

describe("the site built beside the forecast", () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-beside-"));
  const db = join(dir, "w.duckdb");
  const out = join(dir, "site");
  // Framework starts with its data files here (siteFromStart false), the way it does for large exports.
  const options = { source: SAMPLE, db, out, seed: 1, site: true, siteFromStart: false, log: () => {} };
  const forecast: PipelineStage = { name: "forecast", analysis: analyzeForecast, writes: FORECAST_TABLES };
  let startedBeside: string | undefined;

  beforeAll(async () => {
    const summary = await buildWorkspace({
      ...options,
      stages: [{ name: "cohorts", analysis: analyzeCohorts }, forecast],
    });
    startedBeside = summary.stages.find((s) => s.stage === "site")?.startedBeside;
  }, 120_000);

  it("started beside the forecast, and its report.json holds the forecast the warehouse holds", async () => {
    expect(startedBeside).toBe("forecast");
    const database = await openDatabase(db, { readOnly: true });
    const rows = await query<{ n: number }>(database.connection, "SELECT count(*)::INTEGER AS n FROM forecast");
    database.close();
    const data = readdirSync(join(out, "_file", "data")).find((f) => /^report\.[0-9a-f]+\.json$/.test(f));
    const report = JSON.parse(readFileSync(join(out, "_file", "data", data!), "utf8"));
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(report.forecast.length).toBe(rows[0]!.n);
    expect(report.forecastBacktest.length).toBeGreaterThan(0);
  });

  it("a last stage that fails while the site is built leaves the previous outputs as they were", async () => {
    const before = { db: hashTree(dir)["w.duckdb"], site: hashTree(out) };
    const failing: PipelineStage = {
      name: "forecast",
      writes: FORECAST_TABLES,
      analysis: async () => {
        await new Promise((r) => setTimeout(r, 1500)); // the site's data files and Framework are under way
        throw new Error("the forecast failed on purpose");
      },
    };
    await expect(
      buildWorkspace({ ...options, stages: [{ name: "cohorts", analysis: analyzeCohorts }, failing] }),
    ).rejects.toThrow("the forecast failed on purpose");
    expect({ db: hashTree(dir)["w.duckdb"], site: hashTree(out) }).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.includes(".build-"))).toEqual([]);
    const roots = readdirSync(PROJECT_ROOT).filter((f) => f.startsWith(`.churn-site-root-${process.pid}-`));
    expect(roots).toEqual([]);
    expect(existsSync(`${db}.wal`)).toBe(false);
  }, 120_000);
});

describe("the site built with the build, its data files beside the actions stage (the sample, rules mode)", () => {
  it("starts Framework with the build and its data files beside actions; they hold the warehouse's end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-beside-actions-"));
    const db = join(dir, "w.duckdb");
    const out = join(dir, "site");
    const summary = await buildWorkspace({ source: SAMPLE, db, out, seed: 1, site: true, model: false, log: () => {} });
    const site = summary.stages.find((s) => s.stage === "site");
    // The sample's exports are small: Framework's process started beside the ingest, its data files beside actions.
    expect(site?.startedBeside).toBe("ingest");
    expect(site?.dataFrom).toBe("actions");
    const database = await openDatabase(db, { readOnly: true });
    try {
      const { csv } = await scoredListCsv(database.connection);
      const [forecast] = await query<{ n: number }>(database.connection, "SELECT count(*)::INTEGER AS n FROM forecast");
      const file = (re: RegExp) =>
        join(out, "_file", "data", readdirSync(join(out, "_file", "data")).find((f) => re.test(f))!);
      expect(readFileSync(file(/^at-risk\.[0-9a-f]+\.csv$/)).equals(csv)).toBe(true);
      expect(JSON.parse(readFileSync(file(/^report\.[0-9a-f]+\.json$/), "utf8")).forecast.length).toBe(forecast!.n);
    } finally {
      database.close();
    }
  }, 180_000);
});

describe("Framework started with the build", () => {
  it("is stopped and leaves nothing behind when the ingest refuses the exports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-early-fail-"));
    const source = join(dir, "exports");
    mkdirSync(source);
    writeFileSync(join(source, "transactions.csv"), "who,when\nC1,2026-01-01\n");
    const build = buildWorkspace({
      source,
      db: join(dir, "w.duckdb"),
      out: join(dir, "site"),
      seed: 1,
      site: true,
      siteFromStart: true,
      log: () => {},
    });
    await expect(build).rejects.toThrow(/transactions\.csv/);
    expect(readdirSync(dir)).toEqual(["exports"]);
    expect(readdirSync(PROJECT_ROOT).filter((f) => f.startsWith(`.churn-site-root-${process.pid}-`))).toEqual([]);
  }, 60_000);
});
