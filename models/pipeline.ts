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
import { writeMeta } from "../loaders/meta.ts";
import { dropBuyerDays, shareBuyerDays, writeBuyerDays } from "./value/buyer-days.ts";
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
 * and the cohorts stage's buyer window, and runs beside the value stage, which works in JavaScript and leaves a core
 * idle. Above 300,000 customers it used to wait for the acquisition stage (its memory on top of the value stage's was
 * the worry); at a million, beside the value stage, the build's process tree peaked at 3,383–3,416 MiB (3,329 MiB
 * before), and the forest stage no longer waits for its snapshots (21–28 s instead of 42–48 s).
 */
const PREFETCH_AFTER = "survival";
/**
 * The stage after which the forecast's groundwork starts: it needs the cohorts stage's buyer window, and the survival
 * and value stages after it work in JavaScript, leaving a core idle (at a million customers the survival stage alone
 * is 7–11 s). With both moves, a 1M build's idle core-seconds fell from 51.7 to 43.6 (CPU traces).
 */
const GROUNDWORK_AFTER = "cohorts";

/**
 * Run every stage in order; `beforeStage` is called before each starts, `onStage` after each with its report and time.
 * A thrown error stops the run.
 * With `ctx.connect`, the forest's snapshot query starts on a second connection after PREFETCH_AFTER, so DuckDB
 * builds it while the stages in between run in JavaScript, and the contact threshold's snapshot valuations follow it
 * on that connection (at a million customers they outlast the cross-validation they used to run beside). The
 * forecast's groundwork (its reads of the ingested tables, 11 s at a million customers, and the backtest's simulation
 * on a worker thread) starts on another connection after GROUNDWORK_AFTER, beside the survival and value stages.
 * The run waits for all of it to settle before it returns or throws.
 */
export async function runPipeline(
  ctx: AnalysisContext,
  onStage: (stage: string, timing: StageTiming) => void = () => {},
  stages: PipelineStage[] = PIPELINE,
  beforeStage: (stage: PipelineStage, index: number) => void = () => {},
): Promise<StageTiming[]> {
  const timings: StageTiming[] = [];
  const connect =
    ctx.connect &&
    (async () => {
      const conn = await ctx.connect!();
      shareBuyerDays(ctx.conn, conn);
      return conn;
    });
  const prefetch = connect && stages.some((s) => s.name === "forest") ? connect : undefined;
  let context: AnalysisContext = { ...ctx, shared: ctx.shared ?? new Map() };
  let prefetched: Promise<void> | undefined;
  let groundworkDone: Promise<void> | undefined;
  const groundworkEarly = connect && stages.some((s) => s.name === "forecast") ? connect : undefined;
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
      // The buyers' purchase days, read by the cohorts, value, quadrant-survival, forest and forecast stages' buyer
      // queries on every connection of the run (buyer-days.ts): written before the first stage, in its time.
      if (index === 0) await writeBuyerDays(ctx.conn);
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
      if (stage.name === PREFETCH_AFTER && prefetch) {
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
    await dropBuyerDays(ctx.conn).catch(() => {}); // an error of the run itself is the one to report
  }
  return timings;
}
