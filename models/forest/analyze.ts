/**
 * The churn model of `churn build` (and `churn train --db`): features at monthly snapshots before the as-of date
 * whose labels are known by then (d + horizon ≤ as-of), a forest trained on them, cross-validated with folds by
 * customer (a customer never sits in both training and test folds), a backtest (train on snapshots known by
 * as-of − horizon, predict the snapshot at as-of − horizon, compare with what happened), and scores with
 * plain-language drivers for the customers active at the as-of date.
 * Writes churn_predictions, model_card and churn_model.
 */
import { addDays } from "../../loaders/dates.ts";
import { appendRows } from "../../loaders/append.ts";
import { openWarehouse, queryOne, run, tableExists } from "../../loaders/db.ts";
import type { Analysis, AnalysisContext } from "../context.ts";
import { buyerWindow } from "../cohorts/active.ts";
import { averagePrecision, brierScore, confusionAt, rocAuc } from "../math/metrics.ts";
import { calibrationByKind } from "./calibration.ts";
import { crossValidate } from "./evaluate.ts";
import { kindColumn, snapshotsFeatures, stackSnapshots, type Snapshot } from "./features.ts";
import { CHURN_HORIZON_DAYS, labelDefinition } from "./label.ts";
import type { DuckDBConnection } from "@duckdb/node-api";
import { contactThreshold, snapshotValues, valuedSnapshots } from "./value-threshold.ts";
import {
  DEFAULT_FOREST,
  forestOfForests,
  predictForest,
  trainForest,
  type ForestModel,
  type ForestOptions,
} from "./forest.ts";
import { type Progress, silentProgress } from "../../loaders/progress.ts";
import { startForestWorkers, stopForestWorkers } from "../workers/pool.ts";
import { writePredictions } from "./score-stored.ts";
import { ROWS_TO_START_WORKERS, scoreCustomers } from "./scored.ts";
import { serializeForest } from "./serialize.ts";

/**
 * Training uses at most this many customer-snapshots (each monthly snapshot its equal share, drawn at random with the
 * seed): beyond it the forest's accuracy barely moves while its cost and memory keep growing. Every active customer is
 * still scored, from the full snapshot at the as-of date. Measured on the 100k benchmark business: 60,000 rows gave a
 * cross-validated AUC of 0.903 and took 24.9 s for the stage; 32,000 gave 0.901 in 17.2 s. The bundled sample (22,691
 * rows, at most 2,232 per snapshot) stays under the cap and is unchanged.
 */
export const MAX_TRAINING_ROWS = 32_000;
/**
 * Assumptions of the value-maximising threshold: a contacted churner is kept with this probability; a contact costs
 * this much (value-threshold.ts).
 */
export const SAVE_RATE = 0.3;
export const COST_PER_CONTACT = 20;
const SNAPSHOTS = 12;
const FOLDS = 5;
const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

function customerFolds(ids: string[], k: number): Uint8Array {
  return Uint8Array.from(ids, (id) => {
    let h = 2166136261;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
    return (h >>> 0) % k;
  });
}

/** The forest's training snapshots and the snapshot to score, from one query (features.ts). */
export interface ForestSnapshots {
  window: Awaited<ReturnType<typeof buyerWindow>>;
  perSnapshot: number;
  taken: Awaited<ReturnType<typeof snapshotsFeatures>>;
}

/**
 * Build the snapshots: monthly dates back from as-of − horizon (each with 180 days of history before it), each
 * training snapshot at most its share of MAX_TRAINING_ROWS (drawn in the query by a hash of id and seed), and the
 * as-of date whole. Reads only the ingested tables and the buyers' window (cohorts stage), so `churn build` starts it
 * on a second connection after the value stage, while the stages before the forest run (runPipeline).
 */
export async function forestSnapshots(ctx: Pick<AnalysisContext, "conn" | "asOf" | "seed">): Promise<ForestSnapshots> {
  const H = CHURN_HORIZON_DAYS;
  // Buyers are active, and churned, by the report's inactivity window W (models/cohorts/active.ts).
  const window = await buyerWindow(ctx.conn, ctx.asOf);
  const range = await queryOne<{ first: string }>(
    ctx.conn,
    "SELECT CAST(min(signup_date) AS VARCHAR) AS first FROM customers",
  );
  const earliest = addDays(range?.first ?? ctx.asOf, 180);
  const dates: string[] = [];
  for (let k = 0; k < SNAPSHOTS; k++) {
    const d = addDays(ctx.asOf, -H - 30 * k);
    if (d >= earliest) dates.push(d);
  }
  // Each snapshot keeps at most its share of MAX_TRAINING_ROWS (seeded sample), so memory stays bounded at any scale.
  const perSnapshot = Math.ceil(MAX_TRAINING_ROWS / Math.max(1, dates.length));
  // The forest's worker threads start while DuckDB builds the snapshots.
  if (dates.length) startForestWorkers(DEFAULT_FOREST.trees);
  const taken = await snapshotsFeatures(ctx.conn, [...dates, ctx.asOf], H, window.days, {
    perSnapshot,
    seed: ctx.seed,
    except: ctx.asOf,
  });
  return { window, perSnapshot, taken };
}

/** The training snapshots (every snapshot but the last, the as-of date's; those with rows) and the rows available. */
function trainingSnapshots(taken: ForestSnapshots["taken"]): { snapshots: Snapshot[]; available: number } {
  const past = taken.slice(0, -1);
  return { snapshots: past.filter((s) => s.table.rows > 0), available: past.reduce((n, s) => n + s.available, 0) };
}

/** The contact threshold's snapshot valuations (value-threshold.ts snapshotValues). */
export type SnapshotValuations = Awaited<ReturnType<typeof snapshotValues>>;

/**
 * The contact threshold's snapshot valuations on `conn`, or undefined when the value stage has not run. At a million
 * customers they take longer than the cross-validation they run beside, so `churn build` starts them on its second
 * connection as soon as the snapshots are built (runPipeline).
 */
export async function forestValuations(
  conn: DuckDBConnection,
  built: ForestSnapshots,
): Promise<SnapshotValuations | undefined> {
  if (!(await tableExists(conn, "customer_value"))) return undefined;
  return snapshotValues(conn, valuedSnapshots(trainingSnapshots(built.taken).snapshots).chosen, built.window.days);
}

export const analyzeForest: Analysis = async (ctx: AnalysisContext) => {
  const H = CHURN_HORIZON_DAYS;
  const progress = ctx.progress ?? silentProgress;
  const built = progress("forest: snapshots built", 1);
  const prepared = await (ctx.forestSnapshots ?? forestSnapshots(ctx));
  const { window, perSnapshot, taken } = prepared;
  built.tick(1);
  built.done();
  const current = taken.at(-1)!;
  const { snapshots, available } = trainingSnapshots(taken);
  const training = snapshots.length ? stackSnapshots(snapshots) : null;
  const positives = training ? training.labels.reduce((a, b) => a + b, 0) : 0;
  if (!training || positives < 20 || training.labels.length - positives < 20) {
    return {
      name: "forest",
      ran: false,
      skipped:
        `not enough history to learn churn: ${training?.labels.length ?? 0} customer-snapshots with ${positives} ` +
        `churns within ${H} days (needs ≥ 20 of each, and 180 days of history before the first snapshot)`,
      tables: [],
      summary: {},
    };
  }
  const options: ForestOptions = { ...DEFAULT_FOREST, trees: 100, seed: ctx.seed };
  ctx.log(
    `forest: ${training.labels.length} of ${available} customer-snapshots from ${snapshots.length} monthly ` +
      `snapshots, ${positives} churned within ${H} days (buyers by a ${window.days}-day inactivity window)`,
  );

  const testSnapshot = snapshots.find((s) => s.date === addDays(ctx.asOf, -H));
  const pastSnapshots = snapshots.filter((s) => s.date <= addDays(ctx.asOf, -2 * H));
  const backtests = testSnapshot && pastSnapshots.length ? 1 : 0;
  // 5 cross-validation folds and the backtest model; the final model is drawn from the folds' forests.
  const grown = progress("forest: trees grown", (FOLDS + backtests) * options.trees);
  // The contact threshold's snapshot valuations (value-threshold.ts) run while the folds' forests grow, unless
  // runPipeline started them already.
  const valued = ctx.forestValuations ?? forestValuations(ctx.conn, prepared);
  valued.catch(() => {}); // its failure surfaces where it is awaited, not as an unhandled rejection
  const foldForests: ForestModel[] = [];
  // Backtest: what the model would have said at as-of − H, trained only on what was known then. Its trees grow on
  // the worker threads as soon as the last fold's are grown, while this thread evaluates that fold and finishes the
  // contact threshold (it waited for the evaluation before: the workers idle 0.4–0.7 s at 100,000 customers).
  const past = testSnapshot && backtests ? stackSnapshots(pastSnapshots) : null;
  let backtestModel: Promise<ForestModel> | null = null;
  const startBacktest = () => {
    if (!past || backtestModel) return;
    backtestModel = trainForest(past.table, past.labels, all(past.labels.length), options, grown.tick);
    backtestModel.catch(() => {}); // its failure surfaces where it is awaited, below, not as an unhandled rejection
  };
  const evaluation = await crossValidate(
    training.table,
    training.labels,
    FOLDS,
    options,
    true,
    customerFolds(training.ids, FOLDS),
    grown.tick,
    (fold, forest) => (foldForests[fold] = forest),
    startBacktest,
  );
  startBacktest();

  // The final model: options.trees trees drawn evenly from the five fold forests (forestOfForests says why that is a
  // random forest on every snapshot with a known outcome), so no forest is grown a seventh time. The cross-validated
  // metrics above are those of its members' kind: forests grown on 4/5 of the customers. Today's customers are scored
  // with it on the worker threads once the backtest's trees are grown, while this thread waits for the snapshot
  // valuations (at a million customers, the stage's longest wait).
  const model = forestOfForests(foldForests, Math.ceil(options.trees / FOLDS));
  const scoring = scoreCustomers(model, current.table);
  scoring.catch(() => {}); // its failure surfaces where it is awaited, below

  // The threshold that maximises expected saved value on the out-of-fold predictions, each customer-snapshot valued at
  // what was known on its snapshot date (value-threshold.ts), when the value analysis ran.
  const values = await valued;
  const valueThreshold = values
    ? contactThreshold(snapshots, evaluation.outOfFold, training.labels, values, {
        saveRate: SAVE_RATE,
        costPerContact: COST_PER_CONTACT,
      })
    : null;
  const calibration = calibrationByKind(evaluation.outOfFold, training.labels, kindColumn(training.table));

  let backtest: Record<string, unknown> | null = null;
  if (testSnapshot && backtestModel) {
    const model = await backtestModel;
    const p = predictForest(model, testSnapshot.table);
    const c = confusionAt(p, testSnapshot.labels, evaluation.threshold);
    backtest = {
      trainedOn: pastSnapshots.map((s) => s.date),
      predictedAt: testSnapshot.date,
      outcomeBy: ctx.asOf,
      customers: testSnapshot.labels.length,
      churned: testSnapshot.labels.reduce((a, b) => a + b, 0),
      predictedChurners: Array.from(p).reduce((a, b) => a + b, 0),
      auc: rocAuc(p, testSnapshot.labels),
      prAuc: averagePrecision(p, testSnapshot.labels),
      brier: brierScore(p, testSnapshot.labels),
      precision: c.precision,
      recall: c.recall,
    };
  }

  grown.done();
  const trainSeconds = evaluation.trainSeconds;
  // Probabilities and drivers in one walk per tree and customer, written to churn_predictions (score-stored.ts).
  const probabilities = await writePredictions(ctx.conn, model, current, scoring);
  // After a large scoring the workers are stopped: idle, they never collect the tables and lists they handled (about
  // 400 MB at a million customers, carried through the actions stage's peak); the forecast starts them again.
  if (current.table.rows >= ROWS_TO_START_WORKERS) await stopForestWorkers();
  const card: Record<string, unknown> = {
    ...labelDefinition(H, window.days),
    horizonDays: H,
    buyerWindowDays: window.days,
    buyerWindowRule: window.rule,
    probabilitySource:
      "forest: every scored customer's probability comes from the forest (churn_predictions.probability_source)",
    snapshots: snapshots.map((s) => ({
      date: s.date,
      customers: s.labels.length,
      churned: s.labels.reduce((a, b) => a + b, 0),
    })),
    trainingWindow: { first: snapshots.at(-1)!.date, last: snapshots[0]!.date },
    rows: evaluation.rows,
    availableRows: available,
    sampling:
      available > training.labels.length
        ? `${training.labels.length} of ${available} customer-snapshots drawn at random ` +
          `(at most ${perSnapshot} per snapshot, seed ${ctx.seed})`
        : "all customer-snapshots",
    features: training.table.names,
    options: model.options,
    finalModel:
      `${Math.ceil(options.trees / FOLDS)} trees from each of the ${FOLDS} cross-validation forests (each grown on ` +
      "the customers of 4 of the 5 folds): every snapshot with a known outcome is in the training data of 4 of " +
      "every 5 trees",
    auc: evaluation.auc,
    foldAucs: evaluation.foldAucs,
    prAuc: evaluation.prAuc,
    brier: evaluation.brier,
    threshold: evaluation.threshold,
    thresholdRule: "maximises F1 on the out-of-fold predictions",
    valueThreshold: valueThreshold && {
      ...valueThreshold,
      // Customers scored today at or above the threshold: the list one round of contacts would call.
      contactedToday: probabilities.filter((p) => p >= valueThreshold.threshold && valueThreshold.contacted > 0).length,
    },
    precision: evaluation.precision,
    recall: evaluation.recall,
    f1: evaluation.f1,
    roc: evaluation.roc,
    pr: evaluation.pr,
    reliability: evaluation.reliability,
    calibrationByKind: calibration,
    lift: evaluation.lift,
    importances: evaluation.importances,
    permutationImportances: evaluation.permutationImportances,
    backtest,
    backtestAuc: backtest?.["auc"] ?? null,
    trainSeconds,
    scored: current.ids.length,
    asOf: ctx.asOf,
  };
  await run(ctx.conn, "CREATE OR REPLACE TABLE model_card (key VARCHAR, value VARCHAR)");
  await appendRows(
    ctx.conn,
    "model_card",
    ["varchar", "varchar"],
    Object.entries(card).map(([k, v]) => [
      k,
      JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x)),
    ]),
  );
  await run(ctx.conn, "CREATE OR REPLACE TABLE churn_model (trained_at_as_of VARCHAR, model VARCHAR)");
  await appendRows(ctx.conn, "churn_model", ["varchar", "varchar"], [[ctx.asOf, serializeForest(model)]]);
  return {
    name: "forest",
    ran: true,
    tables: ["churn_predictions", "model_card", "churn_model"],
    summary: {
      rows: evaluation.rows,
      auc: evaluation.auc,
      backtestAuc: backtest?.["auc"] ?? null,
      scored: current.ids.length,
      trainSeconds,
    },
  };
};

/** `churn train --db FILE`: train and store the warehouse's model, return the model card. */
export async function trainWarehouseModel(
  dbPath: string,
  options: { seed: number; progress?: Progress },
): Promise<Record<string, unknown>> {
  const db = await openWarehouse(dbPath);
  try {
    const asOf = (
      await queryOne<{ value: string }>(db.connection, "SELECT value FROM warehouse_meta WHERE key = 'as_of'")
    )?.value;
    if (!asOf) throw new Error("warehouse has no as_of");
    const report = await analyzeForest({
      conn: db.connection,
      dbPath,
      asOf,
      seed: options.seed,
      log: (m) => process.stderr.write(`${m}\n`),
      ...(options.progress ? { progress: options.progress } : {}),
    });
    if (!report.ran) return { skipped: report.skipped };
    const rows = await db.connection.runAndReadAll("SELECT key, value FROM model_card");
    return Object.fromEntries(rows.getRows().map(([k, v]) => [String(k), JSON.parse(String(v))]));
  } finally {
    db.close();
  }
}
