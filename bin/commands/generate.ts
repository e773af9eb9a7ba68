/** `churn generate`: write a seeded synthetic business (the six raw exports + ground truth). */
import { z } from "zod";
import { UserError } from "../../loaders/errors.ts";
import { generateBusiness } from "../../loaders/generate/index.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help =
  "Usage: churn generate [--customers N] [--seed S] --out DIR " +
  "[--from YYYY-MM-DD --to YYYY-MM-DD] [--dirty RATE] [--json]\n\n" +
  "Writes customers.csv, transactions.csv, subscriptions.csv, interactions.csv, surveys.csv " +
  "and cancellations.csv (the\n" +
  "reason given for about 80% of subscription churns) in the native layout, plus ground_truth.csv (each customer's " +
  "true churn date and drivers) and ground_truth.json (the true parameters).\n" +
  `The same flags always give byte-identical files.

  --customers N   number of customers (default 5000)
  --seed S        random seed (default 42)
  --out DIR       output folder (created if missing)
  --from, --to    first and last day of the business (default 2023-10-01 .. 2026-09-30)
  --dirty RATE    share of rows made deliberately bad, 0–0.2 (default 0); listed in ground_truth.json
  --json          print the summary as JSON`;

const Flags = z.object({
  customers: flag
    .integer()
    .pipe(z.number().int().min(1, { error: "must be at least 1" }).max(20_000_000, { error: "at most 20,000,000" }))
    .default(5000),
  seed: flag.integer().default(42),
  out: flag.string(),
  from: flag.date().default("2023-10-01"),
  to: flag.date().default("2026-09-30"),
  dirty: flag
    .number()
    .pipe(z.number().min(0, { error: "must be between 0 and 0.2" }).max(0.2, { error: "must be between 0 and 0.2" }))
    .default(0),
  json: flag.boolean(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("generate", argv, Flags);
  if (flags.to <= flags.from)
    throw new UserError(`churn generate: --to (${flags.to}) must be after --from (${flags.from}).`);
  const started = performance.now();
  const summary = await generateBusiness(flags);
  const seconds = (performance.now() - started) / 1000;
  printResult(flags.json, { ...summary, seconds }, () =>
    [
      `Generated ${summary.customers.toLocaleString("en")} customers ` +
        `(${summary.from} .. ${summary.to}, seed ${summary.seed}) in ${summary.out} in ${seconds.toFixed(1)} s:`,
      ...Object.entries(summary.rows).map(([f, n]) => `  ${f.padEnd(18)} ${n.toLocaleString("en").padStart(12)} rows`),
      summary.dirtyRows ? `  ${summary.dirtyRows} deliberately bad rows (listed in ground_truth.json)` : "",
    ]
      .filter(Boolean)
      .join("\n"),
  );
  return 0;
}
