/** `churn build`: ingest, every analysis the warehouse supports, and the static site, all-or-nothing. */
import { z } from "zod";
import { buildWorkspace } from "../build/workspace.ts";
import { createProgress } from "../../loaders/progress.ts";
import { flag, parseFlags } from "../args.ts";

export const help = `Usage: churn build [--source DIR] [--config FILE] [--encoding ENC] [--db FILE] [--out DIR]
                   [--as-of DATE] [--seed S] [--no-model] [--no-site] [--quiet] [--json]

Ingests the raw exports in --source (default data/sample), runs every analysis the data support
(cohorts, survival, customer value, churn forest, symptoms and actions) and builds the static site into --out.
Nothing is replaced until every stage has succeeded: a failed build leaves the previous warehouse and site as they were.

  --source DIR    folder with the exports: customers, transactions, subscriptions, interactions, surveys,
                  cancellations (default data/sample)
  --config FILE   JSON mapping for other export layouts (see README, "Your own exports")
  --encoding ENC  utf-8, latin-1 or utf-16: of every export whose config names none (default: utf-8, or
                  utf-16 after its byte-order mark, latin-1 for a file that is not valid utf-8)
  --db FILE       warehouse file (default data/warehouse.duckdb)
  --out DIR       site output folder (default dist)
  --as-of DATE    analysis date YYYY-MM-DD (default: the last date in the data, leaving out any more than a
                  year after 99% of its dates, as likely mistyped; the report names them)
  --seed S        seed for every random step (default 1)
  --no-model      do not train the churn forest: rank the at-risk list by symptoms and value (rules)
  --no-site       stop after the analyses (no Framework build)
  --quiet         print nothing but errors (no progress lines either)
  --json          print the stage report as JSON`;

const Flags = z.object({
  source: flag.string().default("data/sample"),
  config: flag.string().optional(),
  encoding: z.enum(["utf-8", "latin-1", "utf-16"], { error: "expects utf-8, latin-1 or utf-16" }).optional(),
  db: flag.string().default("data/warehouse.duckdb"),
  out: flag.string().default("dist"),
  asOf: flag.date().optional(),
  seed: flag.integer().default(1),
  noModel: flag.boolean(),
  noSite: flag.boolean(),
  quiet: flag.boolean(),
  json: flag.boolean(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("build", argv, Flags);
  const progress = createProgress({ quiet: flags.quiet });
  const log = flags.quiet || flags.json ? () => {} : (line: string) => progress.print(line, process.stdout);
  log(`churn build: ${flags.source} → ${flags.db}${flags.noSite ? "" : ` → ${flags.out}/`}`);
  const summary = await buildWorkspace({
    source: flags.source,
    ...(flags.config ? { config: flags.config } : {}),
    ...(flags.encoding ? { encoding: flags.encoding } : {}),
    db: flags.db,
    out: flags.out,
    ...(flags.asOf ? { asOf: flags.asOf } : {}),
    seed: flags.seed,
    model: !flags.noModel,
    site: !flags.noSite,
    log,
    progress,
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else log(`built in ${summary.seconds.toFixed(1)} s (as of ${summary.asOf})`);
  return 0;
}
