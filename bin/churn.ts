#!/usr/bin/env -S npx tsx
/**
 * `churn`: the one command line. Each command lives in bin/commands/<name>.ts and exports
 * `run(argv: string[]): Promise<number>` (the exit code) and `help` (its usage text).
 * Expected failures are UserErrors: printed as one message plus a hint, no stack trace.
 */
import { environmentError, isUserError } from "../loaders/errors.ts";

const COMMANDS: Record<string, string> = {
  generate: "Write a seeded synthetic business (all six raw exports + ground truth).",
  ingest: "Load raw exports (CSV/Parquet) into the DuckDB warehouse; bad rows go to rejected_rows.",
  build: "Ingest, run every analysis the warehouse supports, build the static site.",
  cohorts: "Monthly churn/retention, MRR movements and cohort matrices.",
  survival: "Kaplan-Meier curves with log-log bands, log-rank test, Cox drivers.",
  clv: "BG/NBD + Gamma-Gamma lifetime value, P(alive), holdout check, quadrants and tiers.",
  train: "Train and evaluate the churn forest on a flat file or the warehouse.",
  score: "Score active customers: churn probability, CLV, value at risk, health, symptoms, action.",
  forecast: "Customers, revenue and churn for the coming months, baseline and what-if scenarios.",
  reasons: "Why customers left: cancellation reasons by category and month, lost MRR, share with no reason.",
  readout: "Campaign readout: churn difference between treatment and control, with its return.",
};

interface CommandModule {
  run(argv: string[]): Promise<number>;
  help: string;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`);
  return (
    "Usage: churn <command> [flags]   (npm run churn -- <command> [flags])\n\n" +
    `Commands:\n${lines.join("\n")}\n\n` +
    "Run `churn <command> --help` for a command's flags."
  );
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  if (!(name in COMMANDS)) {
    process.stderr.write(`churn: unknown command "${name}".\n\n${usage()}\n`);
    return 2;
  }
  const mod = (await import(`./commands/${name}.ts`)) as CommandModule;
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`${mod.help}\n`);
    return 0;
  }
  return mod.run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (thrown) {
  // A full disk, a denied permission or no memory is the machine's refusal, not a bug: said as a UserError.
  const error = environmentError(thrown) ?? thrown;
  if (isUserError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  ${error.hint}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`churn: unexpected failure (a bug; please report it with the command you ran)\n`);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
