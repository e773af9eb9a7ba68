/**
 * `churn build`: raw exports → fresh warehouse → every analysis → static site, all-or-nothing.
 * The warehouse and the site are built under temporary names beside their targets and swapped in together only when
 * every stage succeeded (bin/build/outputs.ts), so a failed, interrupted or killed run leaves the previous warehouse
 * and site exactly as they were, and nothing the tool did not create is ever replaced.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildMemoryLimit, openDatabase } from "../../loaders/db.ts";
import { buildWarehouse, type IngestResult } from "../../loaders/ingest.ts";
import type { AnalysisReport } from "../../models/context.ts";
import { pipelineWithoutModel, runPipeline } from "../../models/pipeline.ts";
import { buildSite } from "./framework.ts";
import { guardOutputs, SITE_MARKER, swapIn } from "./outputs.ts";
import type { Progress } from "../../loaders/progress.ts";

export interface BuildOptions {
  source: string;
  config?: string;
  db: string;
  out: string;
  asOf?: string;
  seed: number;
  /** false skips the churn forest: the at-risk list is ranked by rules (default true). */
  model?: boolean;
  /** false skips the Framework build (warehouse and analyses only). */
  site: boolean;
  log: (line: string) => void;
  /** Counts and ETAs of long steps on stderr (see loaders/progress.ts); silent when absent. */
  progress?: Progress;
}

export interface StageResult {
  stage: string;
  seconds: number;
  ran: boolean;
  skipped?: string;
  summary?: Record<string, unknown>;
}

export interface BuildSummary {
  db: string;
  out: string | null;
  asOf: string;
  ingest: IngestResult;
  stages: StageResult[];
  seconds: number;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

export async function buildWorkspace(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const guard = await guardOutputs({ db: options.db, ...(options.site ? { out: options.out } : {}) }, "build");
  const { db } = guard;
  const out = guard.out ?? options.out;
  const tmpDb = `${db}.build-${process.pid}.tmp`;
  const tmpOut = `${out}.build-${process.pid}.tmp`;
  const cleanup = () => {
    rmSync(tmpDb, { force: true });
    rmSync(`${tmpDb}.wal`, { force: true });
    rmSync(tmpOut, { recursive: true, force: true });
  };
  const interrupt = guard.onInterrupt(cleanup);
  mkdirSync(dirname(db), { recursive: true });
  cleanup();
  const stages: StageResult[] = [];
  const record = (stage: string, secs: number, report?: AnalysisReport) => {
    const result: StageResult = { stage, seconds: secs, ran: report?.ran ?? true };
    if (report?.skipped) result.skipped = report.skipped;
    if (report?.summary) result.summary = report.summary;
    stages.push(result);
    const status = report && !report.ran ? `skipped: ${report.skipped ?? "no data"}` : "done";
    options.log(`${stage.padEnd(22)} ${secs.toFixed(1).padStart(6)} s  ${status}`);
  };
  try {
    let t = performance.now();
    const ingestOptions = {
      source: options.source,
      ...(options.config ? { config: options.config } : {}),
      ...(options.asOf ? { asOf: options.asOf } : {}),
    };
    const ingest = await buildWarehouse(ingestOptions, tmpDb);
    record("ingest", seconds(t));

    const database = await openDatabase(tmpDb, { memoryLimit: buildMemoryLimit() });
    try {
      await runPipeline(
        {
          conn: database.connection,
          dbPath: tmpDb,
          asOf: ingest.asOf,
          seed: options.seed,
          connect: () => database.instance.connect(),
          log: (m) => options.log(`  ${m}`),
          ...(options.progress ? { progress: options.progress } : {}),
        },
        (stage, timing) => record(stage, timing.seconds, timing.report),
        options.model === false ? pipelineWithoutModel() : undefined,
      );
      await database.connection.run("CHECKPOINT");
    } finally {
      database.close();
    }

    if (options.site) {
      t = performance.now();
      await buildSite(tmpDb, tmpOut, options.progress ? { progress: options.progress } : {});
      writeFileSync(join(tmpOut, SITE_MARKER), `Built by churn build on ${new Date().toISOString()} from ${db}.\n`);
      record("site", seconds(t));
      mkdirSync(dirname(out), { recursive: true });
    }
    swapIn([{ tmp: tmpDb, target: db, wal: true }, ...(options.site ? [{ tmp: tmpOut, target: out }] : [])]);
    return { db, out: options.site ? out : null, asOf: ingest.asOf, ingest, stages, seconds: seconds(started) };
  } catch (error) {
    cleanup();
    throw error;
  } finally {
    interrupt.done();
    guard.release();
  }
}
