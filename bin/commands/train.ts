/** `churn train`: cross-validated churn forest on any flat table (or the warehouse with --db). */
import { z } from "zod";
import { UserError } from "../../loaders/errors.ts";
import { readFlatFile, rejectedNote, requireColumn, setAsideRows } from "../../loaders/flat-file.ts";
import { crossValidate, groupedFolds } from "../../models/forest/evaluate.ts";
import { startForestWorkers } from "../../models/workers/pool.ts";
import { featureTableFromFlat } from "../../models/forest/flat-table.ts";
import { DEFAULT_FOREST } from "../../models/forest/forest.ts";
import { createProgress } from "../../loaders/progress.ts";
import { flag, parseFlags, printResult } from "../args.ts";
import { onWarehouseCopy } from "../build/outputs.ts";

export const help = `Usage: churn train --input FILE --target COL [--positive V] [--id COL] [--drop COLS]
                   [--folds K] [--seed S] [--trees N] [--max-depth D] [--min-leaf M]
                   [--class-weight balanced|none] [--json] [--quiet]
       churn train --db FILE [--json] [--quiet]      (the warehouse's churn model; see README)

Stratified K-fold cross-validation (default 5) of the churn forest on any flat table: numeric columns are parsed
("$1,234.50", "12.5%", "1.234,50" too; ISO dates as day numbers), blanks are missing, text columns are categories
(coded by cross-fitted churn rates). Without --positive, churn is yes/true/y/churn/churned/1 in any case (a note
says how a target with more than two values was split). Rows repeating an --id value stay in one fold. Reports mean
ROC-AUC over the folds, PR-AUC (average precision), Brier score, precision/recall/F1 at the F1-best threshold,
impurity and permutation importances.`;

const Flags = z.object({
  input: flag.string().optional(),
  db: flag.string().optional(),
  target: flag.string().optional(),
  positive: flag.string().optional(),
  id: flag.string().optional(),
  drop: flag.list().optional(),
  folds: flag
    .integer()
    .pipe(z.number().min(2, { error: "needs at least 2 folds" }).max(20, { error: "at most 20 folds" }))
    .default(5),
  seed: flag.integer().default(1),
  trees: flag
    .integer()
    .pipe(z.number().min(1, { error: "needs at least 1 tree" }))
    .default(DEFAULT_FOREST.trees),
  maxDepth: flag.integer().default(DEFAULT_FOREST.maxDepth),
  minLeaf: flag.integer().default(DEFAULT_FOREST.minLeaf),
  classWeight: z.enum(["balanced", "none"], { error: "expects balanced or none" }).default("none"),
  json: flag.boolean(),
  quiet: flag.boolean(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("train", argv, Flags);
  if (flags.db) {
    const { trainWarehouseModel } = await import("../../models/forest/analyze.ts");
    // On a copy swapped in when training is over: a failed or killed run leaves the warehouse as it was.
    const card = await onWarehouseCopy(flags.db, "train", async (copy) => ({
      value: await trainWarehouseModel(copy, { seed: flags.seed, progress: createProgress({ quiet: flags.quiet }) }),
      keep: true,
    }));
    printResult(
      flags.json,
      card,
      () =>
        `Churn model trained on ${flags.db}: backtest ROC-AUC ${Number(card["backtestAuc"] ?? NaN).toFixed(3)}, ` +
        `cross-validated ROC-AUC ${Number(card["auc"]).toFixed(3)}`,
    );
    return 0;
  }
  if (!flags.input || !flags.target)
    throw new UserError("churn train needs --input FILE and --target COL (or --db FILE).");
  startForestWorkers(flags.trees); // their start-up overlaps reading the file
  const file = await readFlatFile(flags.input);
  // Rows without a target value cannot be learnt from: set aside and counted, not a reason to stop.
  const targetValues = requireColumn(file, flags.target, "target");
  const flat = setAsideRows(file, (i) => (String(targetValues[i] ?? "").trim() === "" ? "blank target" : null));
  const { table, labels, dropped, ids, notes } = featureTableFromFlat(flat, flags.target, {
    ...(flags.positive ? { positive: flags.positive } : {}),
    ...(flags.id ? { id: flags.id } : {}),
    ...(flags.drop ? { drop: flags.drop } : {}),
  });
  notes.unshift(...(flat.notes ?? [])); // how the file was read (an encoding fallen back to)
  if (dropped.length)
    process.stderr.write(`note: left out ${dropped.length} column(s) with no values: ${dropped.join(", ")}\n`);
  const positives = labels.reduce((a, b) => a + b, 0);
  if (Math.min(positives, labels.length - positives) < flags.folds)
    throw new UserError(
      `Too few rows of the rarer class (${Math.min(positives, labels.length - positives)}) for ${flags.folds} folds.`,
      { hint: "Use fewer --folds or more data." },
    );
  // Rows sharing an --id value are one customer's: their folds keep them together (else a customer's rows would sit
  // in both training and test folds, and the cross-validated scores would flatter the model).
  const repeated = ids ? ids.length - new Set(ids).size : 0;
  const folds = ids && repeated > 0 ? groupedFolds(ids, labels, flags.folds, flags.seed) : undefined;
  if (folds) {
    notes.push(`${repeated} rows repeat an ${flags.id} already seen: each ${flags.id}'s rows are kept in one fold`);
    for (let f = 0; f < flags.folds; f++) {
      const inFold = labels.filter((_, i) => folds[i] === f);
      const churned = inFold.reduce((a, b) => a + b, 0);
      if (churned === 0 || churned === inFold.length)
        throw new UserError(`Too few ${flags.id} values of one class for ${flags.folds} folds kept by ${flags.id}.`, {
          hint: "Use fewer --folds or more data.",
        });
    }
  }
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  const grown = createProgress({ quiet: flags.quiet })("trees grown", flags.folds * flags.trees);
  const evaluation = await crossValidate(
    table,
    labels,
    flags.folds,
    {
      trees: flags.trees,
      maxDepth: flags.maxDepth,
      minLeaf: flags.minLeaf,
      seed: flags.seed,
      classWeight: flags.classWeight,
    },
    true,
    folds,
    grown.tick,
  );
  grown.done();
  const output = {
    rows: evaluation.rows,
    features: evaluation.features,
    auc: evaluation.auc,
    foldAucs: evaluation.foldAucs,
    prAuc: evaluation.prAuc,
    brier: evaluation.brier,
    precision: evaluation.precision,
    recall: evaluation.recall,
    f1: evaluation.f1,
    threshold: evaluation.threshold,
    trainSeconds: evaluation.trainSeconds,
    importances: evaluation.importances,
    permutationImportances: evaluation.permutationImportances,
    lift: evaluation.lift,
    rejected: { count: flat.rejected.count, reasons: flat.rejected.reasons },
    ...(notes.length ? { notes } : {}),
  };
  const note = rejectedNote(flags.input, flat.rejected);
  if (note) process.stderr.write(`${note}\n`);
  printResult(flags.json, output, () =>
    [
      `Churn forest, ${flags.folds}-fold cross-validation on ${evaluation.rows} rows × ` +
        `${evaluation.features} features (${flags.trees} trees):`,
      `  ROC-AUC ${evaluation.auc.toFixed(3)} (folds ${evaluation.foldAucs.map((a) => a.toFixed(3)).join(", ")}), ` +
        `PR-AUC ${evaluation.prAuc.toFixed(3)}, Brier ${evaluation.brier.toFixed(4)}`,
      `  at threshold ${evaluation.threshold.toFixed(3)}: precision ${evaluation.precision.toFixed(3)}, ` +
        `recall ${evaluation.recall.toFixed(3)}, F1 ${evaluation.f1.toFixed(3)}`,
      `  training time ${evaluation.trainSeconds.toFixed(2)} s in all`,
      `  top features: ${evaluation.permutationImportances
        .slice(0, 5)
        .map((i) => `${i.feature} (${i.importance.toFixed(3)})`)
        .join(", ")}`,
    ].join("\n"),
  );
  return 0;
}
