/**
 * Exports whose category fields hold a value per customer (a plan name per account, a campaign per signup as the
 * acquisition channel, a free-text cancellation reason): the pages' data keeps the most common values and puts the
 * rest together, so no chart or table gets a row per customer. Real `churn build` on a generated business with those
 * fields rewritten, then the site's data loaders run as Framework runs them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvFormat, csvParse } from "d3-dsv";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { generateBusiness } from "../loaders/generate/index.ts";
import { runChurn, TSX_LOADER } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

let db: string;

/** Rewrite one column of an export, row by row. */
function rewrite(file: string, column: string, value: (i: number) => string): void {
  const rows = csvParse(readFileSync(file, "utf8"));
  rows.forEach((row, i) => (row[column] = value(i)));
  writeFileSync(file, csvFormat(rows, rows.columns));
}

/** A site data loader's JSON, run as Framework runs it (its own process, the warehouse from CHURN_DB). */
function loaderJson(name: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ["--import", TSX_LOADER, join(PROJECT_ROOT, "src", "data", name)], {
    env: { ...process.env, CHURN_DB: db },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${name} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-many-values-"));
  const exports = join(dir, "exports");
  await generateBusiness({ customers: 600, seed: 5, out: exports, from: "2024-10-01", to: "2026-09-30", dirty: 0 });
  rewrite(join(exports, "customers.csv"), "acquisition_channel", (i) => `campaign-${i}`);
  rewrite(join(exports, "customers.csv"), "segment", (i) => `segment-${i % 300}`);
  rewrite(join(exports, "cancellations.csv"), "reason", (i) => `In my own words, reason ${i}`);
  db = join(dir, "w.duckdb");
  const build = runChurn(["build", "--source", exports, "--db", db, "--no-site", "--no-model", "--quiet"]);
  if (build.code !== 0) throw new Error(`churn build failed:\n${build.stderr}`);
}, 300_000);

describe("category fields with a value per customer", () => {
  it("acquisition economics: the 25 most common channels and '(other)'", async () => {
    const database = await openDatabase(db, { readOnly: true });
    const channels = await query<{ value: string; customers: number }>(
      database.connection,
      "SELECT value, customers FROM acquisition_economics WHERE dimension = 'channel'",
    );
    database.close();
    expect(channels).toHaveLength(26);
    expect(channels.find((c) => c.value === "(other)")!.customers).toBeGreaterThan(500);
  });

  it("cohort filters: at most 25 segments and '(other)'", () => {
    const cohorts = loaderJson("cohorts.json.ts") as { cells: { dimension: string; value: string }[] };
    const segments = new Set(cohorts.cells.filter((c) => c.dimension === "segment").map((c) => c.value));
    expect(segments.size).toBeLessThanOrEqual(26);
    expect(segments).toContain("(other)");
  });

  it("why customers leave: 15 reasons and '(other reasons)', every cancellation still counted", async () => {
    const reasons = loaderJson("reasons.json.ts") as {
      events: number;
      reasons: { reason: string; events: number; group: string | null }[];
      monthly: { reason: string; cancellations: number }[];
      breakdowns: Record<string, { value: string; events: number }[]>;
      quotes: { reason: string }[];
    };
    const names = new Set(reasons.reasons.map((r) => r.reason));
    expect(names.size).toBe(16);
    expect(names).toContain("(other reasons)");
    // Lumped reasons have no single rule group to show.
    for (const r of reasons.reasons.filter((x) => x.reason === "(other reasons)")) expect(r.group).toBeNull();
    const sum = (rows: { events?: number; cancellations?: number }[]) =>
      rows.reduce((n, r) => n + (r.events ?? r.cancellations ?? 0), 0);
    expect(sum(reasons.reasons)).toBe(reasons.events);
    expect(sum(reasons.monthly)).toBe(reasons.events);
    expect(new Set(reasons.monthly.map((m) => m.reason)).size).toBe(16);
    expect(new Set(reasons.breakdowns["segment"]!.map((b) => b.value)).size).toBeLessThanOrEqual(26);
    expect(sum(reasons.breakdowns["segment"]!)).toBe(reasons.events);
    expect(new Set(reasons.quotes.map((q) => q.reason)).size).toBeLessThanOrEqual(16);
  });
});
