/**
 * The analyses `churn build` runs on a freshly ingested warehouse, in dependency order:
 * cohorts → survival → value → acquisition economics (needs the valuation) → survival by quadrant → reasons (uses the
 * values) → forest → actions (needs value and forest) → forecast (from the history's rates; uses health bands and
 * quadrants for its scenarios when they exist).
 * Each analysis writes its own derived tables and returns a report; a skipped analysis says what the data lacked.
 */
import { analyzeCohorts } from "./cohorts/analyze.ts";
import type { Analysis, AnalysisContext, AnalysisReport } from "./context.ts";
import { analyzeSurvival } from "./survival/analyze.ts";
import { analyzeAcquisition } from "./value/acquisition.ts";
import { analyzeValue } from "./value/analyze.ts";
import { analyzeQuadrantSurvival } from "./value/quadrant-survival.ts";
import { analyzeForest, forestSnapshots, forestValuations } from "./forest/analyze.ts";
import { queryOne } from "../loaders/db.ts";
import { writeMeta } from "../loaders/meta.ts";
import { ACTIONS_WRITES, actionsAnalysis, analyzeActions } from "./actions/analyze.ts";
import { analyzeReasons } from "./reasons/analyze.ts";
import { analyzeForecast, FORECAST_TABLES, forecastStart } from "./forecast/analyze.ts";

export interface PipelineStage {
  name: string;
  analysis: Analysis;
  /**
   * The tables (and warehouse_meta keys) the stage writes, when declared: `churn build` starts the site beside the last
   * stage when it declares them, and holds back only the data files that read them (bin/build/workspace.ts).
   */
  writes?: string[];
}

/**
 * The churn forest, recording why it did not train (warehouse_meta.churn_model_skipped = {"asOf", "reason"}) so the
 * at-risk list, ranked by rules then, can say why (models/actions/risk-mode.ts).
 */
export const analyzeForestRecorded: Analysis = async (ctx) => {
  const report = await analyzeForest(ctx);
  if (!report.ran) await writeMeta(ctx.conn, "churn_model_skipped", { asOf: ctx.asOf, reason: report.skipped ?? "" });
  return report;
};

export const PIPELINE: PipelineStage[] = [
  { name: "cohorts", analysis: analyzeCohorts },
  { name: "survival", analysis: analyzeSurvival },
  { name: "value", analysis: analyzeValue },
  { name: "acquisition", analysis: analyzeAcquisition },
  { name: "quadrant survival", analysis: analyzeQuadrantSurvival },
  { name: "reasons", analysis: analyzeReasons },
  { name: "forest", analysis: analyzeForestRecorded },
  { name: "actions", analysis: analyzeActions, writes: ACTIONS_WRITES },
  { name: "forecast", analysis: analyzeForecast, writes: FORECAST_TABLES },
];

/** `--no-model`: every stage but the forest, and the at-risk list ranked by rules. */
export function pipelineWithoutModel(): PipelineStage[] {
  return PIPELINE.filter((s) => s.name !== "forest").map((s) =>
    s.name === "actions" ? { ...s, analysis: actionsAnalysis({ useModel: false }) } : s,
  );
}

export interface StageTiming {
  report: AnalysisReport;
  seconds: number;
}

/**
 * The stage after which the forest's snapshot query starts on a second connection. It needs only the ingested tables
 * and the cohorts stage's buyer window (PREFETCH_EARLY). In a large warehouse it waits for the value stage
 * (PREFETCH_LATE), so the query's memory does not come on top of the value stage's (half a million valuations at a
 * million customers), and for the acquisition stage, which is all SQL: beside it the query only took cores from
 * it (at 1M acquisition took 16–24 s beside it, 5.6 s alone) and the build's memory peaked there (4.1 GiB); beside
 * survival by quadrant, which works in JavaScript, it uses the idle core. In a smaller one memory is no concern
 * and it starts beside the value stage, which leaves a core idle most of its time (100k customers: the forest stage
 * waited 1–2 s less for its snapshots, the build about 1 s shorter).
 */
const PREFETCH_EARLY = "survival";
const PREFETCH_LATE = "acquisition";
/**
 * The stage after which the forecast's groundwork starts: it needs the cohorts stage's buyer window, and the value
 * stage after survival works in JavaScript, leaving a core idle.
 */
const GROUNDWORK_AFTER = "survival";
/** Up to this many customers the snapshot query starts after PREFETCH_EARLY. */
const PREFETCH_EARLY_MAX_CUSTOMERS = 300_000;

/** The stage after which the forest's snapshot query starts, by the warehouse's number of customers. */
async function prefetchAfter(conn: AnalysisContext["conn"]): Promise<string> {
  const row = await queryOne<{ n: number }>(conn, "SELECT count(*)::BIGINT AS n FROM customers");
  return (row?.n ?? 0) <= PREFETCH_EARLY_MAX_CUSTOMERS ? PREFETCH_EARLY : PREFETCH_LATE;
}

/**
 * Run every stage in order; `beforeStage` is called before each starts, `onStage` after each with its report and time.
 * A thrown error stops the run.
 * With `ctx.connect`, the forest's snapshot query starts on a second connection after prefetchAfter's stage, so DuckDB
 * builds it while the stages in between run in JavaScript, and the contact threshold's snapshot valuations follow it
 * on that connection (at a million customers they outlast the cross-validation they used to run beside). The
 * forecast's groundwork (its reads of the ingested tables, 11 s at a million customers, and the backtest's simulation
 * on a worker thread) starts on another connection after GROUNDWORK_AFTER, beside the value stage. The run waits for
 * all of it to settle before it returns or throws.
 */
export async function runPipeline(
  ctx: AnalysisContext,
  onStage: (stage: string, timing: StageTiming) => void = () => {},
  stages: PipelineStage[] = PIPELINE,
  beforeStage: (stage: PipelineStage, index: number) => void = () => {},
): Promise<StageTiming[]> {
  const timings: StageTiming[] = [];
  const prefetch = ctx.connect && stages.some((s) => s.name === "forest") ? ctx.connect : undefined;
  const prefetchStage = prefetch ? await prefetchAfter(ctx.conn) : null;
  let context: AnalysisContext = { ...ctx, shared: ctx.shared ?? new Map() };
  let prefetched: Promise<void> | undefined;
  let groundworkDone: Promise<void> | undefined;
  const groundworkEarly = ctx.connect && stages.some((s) => s.name === "forecast") ? ctx.connect : undefined;
  // The snapshot valuations need the value stage over (forestValuations asks whether it wrote customer_value): settled
  // when it ends, or at once when it is not among the stages; also when the run stops, so nothing waits forever.
  let valueStageOver: () => void = () => {};
  let stopped = false;
  const valueOver = new Promise<void>((resolve) => (valueStageOver = resolve));
  if (!stages.some((s) => s.name === "value")) valueStageOver();
  try {
    for (const [index, stage] of stages.entries()) {
      beforeStage(stage, index);
      const started = performance.now();
      const report = await stage.analysis(context);
      const timing = { report, seconds: (performance.now() - started) / 1000 };
      timings.push(timing);
      onStage(stage.name, timing);
      if (stage.name === "value") valueStageOver();
      if (stage.name === "forest") {
        // The snapshots (at a million customers, today's feature table of half a million rows) are done with: the
        // later stages' peak memory should not carry them.
        const { forestSnapshots: _s, forestValuations: _v, ...rest } = context;
        context = rest;
      }
      if (stage.name === GROUNDWORK_AFTER && groundworkEarly) {
        const conn = groundworkEarly();
        const groundwork = conn.then((c) => forecastStart({ ...context, conn: c }));
        groundwork.catch(() => {}); // its failure surfaces in the forecast stage, which awaits it
        // The connection closes once its reads are done; the run also waits for the backtest's simulation.
        groundworkDone = groundwork
          .catch(() => null)
          .then(async (started) => {
            (await conn).closeSync();
            if (started && "backtest" in started) await started.backtest.catch(() => {});
          });
        context = { ...context, forecastGroundwork: groundwork };
      }
      if (stage.name === prefetchStage && prefetch) {
        const conn = prefetch();
        const snapshots = conn.then((c) => forestSnapshots({ ...ctx, conn: c }));
        // The contact threshold's snapshot valuations follow on the same connection as soon as the snapshots exist
        // and the value stage is over.
        const valuations = Promise.all([conn, snapshots, valueOver]).then(([c, built]) =>
          stopped ? undefined : forestValuations(c, built),
        );
        prefetched = Promise.allSettled([valuations]).then(async () => (await conn).closeSync());
        snapshots.catch(() => {}); // its failure surfaces in the forest stage, which awaits it
        valuations.catch(() => {});
        context = { ...context, forestSnapshots: snapshots, forestValuations: valuations };
      }
    }
  } finally {
    stopped = true; // a run that failed starts no valuation
    valueStageOver();
    context.shared?.clear();
    await prefetched?.catch(() => {});
    await groundworkDone?.catch(() => {});
  }
  return timings;
}
