/**
 * `churn build`: raw exports → fresh warehouse → every analysis → static site, all-or-nothing.
 * The warehouse and the site are built under temporary names beside their targets and swapped in together only when
 * every stage succeeded (bin/build/outputs.ts), so a failed, interrupted or killed run leaves the previous warehouse
 * and site exactly as they were, and nothing the tool did not create is ever replaced.
 */
import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildMemoryLimit, type Database, openDatabase, queryOne } from "../../loaders/db.ts";
import { buildWarehouse, type Encoding, type IngestResult } from "../../loaders/ingest.ts";
import { ingestReportLines } from "../../loaders/ingest-report.ts";
import type { AnalysisReport } from "../../models/context.ts";
import type { PipelineStage } from "../../models/pipeline.ts";
import { buildSite, type SiteData } from "./framework.ts";
import { guardOutputs, SITE_MARKER, swapIn } from "./outputs.ts";
import type { Progress } from "../../loaders/progress.ts";

export interface BuildOptions {
  source: string;
  config?: string;
  /** The encoding of every export whose config names none (IngestOptions.encoding). */
  encoding?: Encoding;
  db: string;
  out: string;
  asOf?: string;
  seed: number;
  /** false skips the churn forest: the at-risk list is ranked by rules (default true). */
  model?: boolean;
  /** false skips the Framework build (warehouse and analyses only). */
  site: boolean;
  /**
   * Start Framework with the build, before the ingest (its data files still wait for the stages they read); default:
   * when the exports are small enough (FRAMEWORK_FROM_START_MAX_BYTES).
   */
  siteFromStart?: boolean;
  log: (line: string) => void;
  /** Counts and ETAs of long steps on stderr (see loaders/progress.ts); silent when absent. */
  progress?: Progress;
  /** The analyses to run (tests); default the whole pipeline, or pipelineWithoutModel() when `model` is false. */
  stages?: PipelineStage[];
}

export interface StageResult {
  stage: string;
  /** From the stage's start to its end; a stage that started beside another overlaps it. */
  seconds: number;
  /**
   * The stage this one started beside: the site's Framework process starts beside the ingest (small exports), else
   * with its data files.
   */
  startedBeside?: string;
  /** The site only: the stage its data files started beside (actions, or the forecast in a large warehouse). */
  dataFrom?: string;
  ran: boolean;
  skipped?: string;
  summary?: Record<string, unknown>;
}

/**
 * Index of the first of the stages that, to the end of the list, each declare the tables they write (the stages the
 * site can start beside); the list's length when the last stage declares none.
 */
function firstOfDeclaringTail(stages: PipelineStage[]): number {
  let first = stages.length;
  while (first > 0 && stages[first - 1]!.writes) first--;
  return first;
}

/**
 * Above this many customers the site starts beside the last stage only: at a million customers, Framework and the
 * data files beside the actions stage took the core it leaves idle but lengthened it as much (1M, alternating: the
 * actions stage to the site's end 48.1, 53.1 s against 49.5, 51.2 s), and the build's memory peak rose by
 * 200–400 MiB to 3.9 GiB; at 100,000 the build was about 1 s shorter (37.2, 36.5 s → 36.4, 35.3 s).
 */
const SITE_BESIDE_ACTIONS_MAX_CUSTOMERS = 300_000;

/** Index of the stage the site starts beside (firstOfDeclaringTail; the last stage only in a large warehouse). */
async function siteStart(database: Database, stages: PipelineStage[]): Promise<number> {
  const first = firstOfDeclaringTail(stages);
  if (first >= stages.length - 1) return first;
  const row = await queryOne<{ n: number }>(database.connection, "SELECT count(*)::BIGINT AS n FROM customers");
  return Number(row?.n ?? 0) <= SITE_BESIDE_ACTIONS_MAX_CUSTOMERS ? first : stages.length - 1;
}

/**
 * Up to this many bytes of exports, Framework's process starts with the build, before the ingest: its first seconds
 * (loading its code, the pages and their imports, bundling its client: 3–4 s, about half its CPU time) then overlap
 * the stages instead of following the last one, and it waits for the data files with little memory. On the sample
 * (4 MB) the site then ended 2.8 s after the last stage instead of 5.3 s, and the build was shorter (alternating, six
 * builds each: 21.2 → 20.4 s mean). At 100,000 customers (78 MB) it once only took cores from the ingest, for the same
 * end; since the forest and scoring got faster it shortens the build there too (alternating, six pairs: 26.9 → 25.9 s
 * mean, five of six shorter, the slowest 30.9 → 27.0 s; the ingest 3.0–3.7 → 4.7–6.1 s, the actions stage 2.9–3.4 →
 * 1.9–2.3 s, and the site ends with the forecast). At a million customers (780 MB) it stays with the last stage: the
 * build's memory peak is near its bound there.
 */
const FRAMEWORK_FROM_START_MAX_BYTES = 200_000_000;

/** Are the exports in the `source` folder small enough for Framework to start with the build? */
function frameworkFromStart(source: string): boolean {
  let bytes = 0;
  try {
    for (const entry of readdirSync(source, { withFileTypes: true }))
      if (entry.isFile()) bytes += statSync(join(source, entry.name)).size;
  } catch {
    return false; // the ingest says what is wrong with the folder
  }
  return bytes <= FRAMEWORK_FROM_START_MAX_BYTES;
}

/** The site build started beside the pipeline's last stages, or with the build (beside the ingest). */
interface SiteRun {
  started: number;
  done: Promise<void>;
  /** Resolves once the site's data files are written: the warehouse is no longer read. */
  dataEnded: Promise<void>;
  beside: string;
  /** The stage the data files started beside, once they have. */
  dataFrom?: string;
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
  cleanup();
  const stages: StageResult[] = [];
  const record = (stage: string, secs: number, report?: AnalysisReport, beside?: string, dataFrom?: string) => {
    const result: StageResult = {
      stage,
      seconds: secs,
      ...(beside ? { startedBeside: beside } : {}),
      ...(dataFrom ? { dataFrom } : {}),
      ran: report?.ran ?? true,
    };
    if (report?.skipped) result.skipped = report.skipped;
    if (report?.summary) result.summary = report.summary;
    stages.push(result);
    const status = report && !report.ran ? `skipped: ${report.skipped ?? "no data"}` : "done";
    const started = beside
      ? ` (started beside ${beside}${dataFrom && dataFrom !== beside ? `, data files beside ${dataFrom}` : ""})`
      : "";
    options.log(`${stage.padEnd(22)} ${secs.toFixed(1).padStart(6)} s  ${status}${started}`);
  };
  // The site build when it starts before the build's end; a failure anywhere stops it before the cleanup.
  let site = null as SiteRun | null;
  const abortSite = new AbortController();
  const startSite = (beside: string, dataFrom: Promise<SiteData>) => {
    if (!options.site || site) return;
    let dataEnded: () => void = () => {};
    const ended = new Promise<void>((resolve) => (dataEnded = resolve));
    const done = buildSite(tmpDb, tmpOut, {
      ...(options.progress ? { progress: options.progress } : {}),
      dataFrom,
      signal: abortSite.signal,
      onDataEnded: dataEnded,
    });
    done.then(dataEnded, dataEnded); // however the site build ends, its data writing has ended too
    site = { started: performance.now(), done, dataEnded: ended, beside };
  };
  // Framework started with the build (small exports, FRAMEWORK_FROM_START_MAX_BYTES says why): its data files wait
  // for giveSiteData.
  let giveSiteData: ((data: SiteData) => void) | null = null;
  if (options.site && (options.siteFromStart ?? frameworkFromStart(options.source)))
    startSite("ingest", new Promise<SiteData>((resolve) => (giveSiteData = resolve)));
  // The analyses' modules (about 0.3 s of loading and compiling) load while DuckDB ingests the exports.
  const pipeline = import("../../models/pipeline.ts");
  pipeline.catch(() => {}); // a failure to load surfaces where it is awaited
  try {
    let t = performance.now();
    const ingestOptions = {
      source: options.source,
      ...(options.config ? { config: options.config } : {}),
      ...(options.encoding ? { encoding: options.encoding } : {}),
      ...(options.asOf ? { asOf: options.asOf } : {}),
    };
    const ingest = await buildWarehouse(ingestOptions, tmpDb);
    record("ingest", seconds(t));
    for (const line of ingestReportLines(ingest)) options.log(line);

    const { PIPELINE, pipelineWithoutModel, runPipeline } = await pipeline;
    const database = await openDatabase(tmpDb, { memoryLimit: buildMemoryLimit() });
    // DuckDB checkpoints on the commit that takes its write-ahead log past 16 MB, on the committing connection: in a
    // 100k build one landed on the forest stage's one-row meta write (0.77 s of its thread while the other connections
    // worked). The build checkpoints once, after its last stage, beside Framework's last seconds (its large tables go
    // to the file as they are written either way; at 1M the process tree's peak stayed at 3.2 GiB).
    await database.connection.run("SET checkpoint_threshold = '1GB'");
    const stageList = options.stages ?? (options.model === false ? pipelineWithoutModel() : PIPELINE);
    // The site's data files start beside the last stages (actions, then the forecast; the forecast alone above
    // SITE_BESIDE_ACTIONS_MAX_CUSTOMERS) when each of them declares the tables it writes: the data files reading none
    // of them are written at once, the others once the stages writing what they read are over, and Framework's build
    // runs in its own process meanwhile (started with the build when the exports are small, else here: its first
    // seconds then use the core the actions stage leaves idle). One hold per stage from there, settled when it ends.
    const heldFrom = await siteStart(database, stageList);
    const holds = stageList.slice(heldFrom).map((stage) => {
      let settle: (error?: unknown) => void = () => {};
      const until = new Promise<void>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve() : reject(error));
      });
      until.catch(() => {}); // a failure surfaces from the pipeline itself
      return { name: stage.name, tables: stage.writes!, until, settle };
    });
    // The data files start beside the first held stage (Framework too, unless it started with the build), or once
    // the last stage is over when none is held.
    const startSiteData = (beside: string) => {
      const data: SiteData = { database, heldBack: holds.map(({ tables, until }) => ({ tables, until })) };
      if (giveSiteData) giveSiteData(data);
      else startSite(beside, Promise.resolve(data));
      giveSiteData = null;
      if (site && beside && !site.dataFrom) site.dataFrom = beside;
    };
    try {
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
          (stage, timing) => {
            record(stage, timing.seconds, timing.report);
            holds.find((h) => h.name === stage)?.settle();
          },
          stageList,
          (stage, index) => {
            if (index === heldFrom) startSiteData(stage.name);
          },
        );
        if (site) startSiteData(""); // no stage held: the data files start now
      } catch (error) {
        for (const hold of holds) hold.settle(error);
        abortSite.abort(); // the data writing stops at its next file, Framework at once
        throw error;
      } finally {
        // The site's data writing reads this warehouse: it ends before the warehouse closes, however the run went.
        await site?.dataEnded;
      }
      await database.connection.run("CHECKPOINT");
    } finally {
      database.close();
    }

    if (options.site) {
      t = site?.started ?? performance.now();
      await (site ? site.done : buildSite(tmpDb, tmpOut, options.progress ? { progress: options.progress } : {}));
      writeFileSync(join(tmpOut, SITE_MARKER), `Built by churn build on ${new Date().toISOString()} from ${db}.\n`);
      record("site", seconds(t), undefined, site?.beside, site?.dataFrom);
    }
    swapIn([{ tmp: tmpDb, target: db, wal: true }, ...(options.site ? [{ tmp: tmpOut, target: out }] : [])]);
    return { db, out: options.site ? out : null, asOf: ingest.asOf, ingest, stages, seconds: seconds(started) };
  } catch (error) {
    abortSite.abort();
    await site?.done.catch(() => {}); // Framework's process has ended before the temporary site is removed
    cleanup();
    throw error;
  } finally {
    interrupt.done();
    guard.release();
  }
}
