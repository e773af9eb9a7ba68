/**
 * `npm run bench [-- --customers N] [-- --peers]`: the end-to-end benchmark. Generates a business of N customers
 * (default 100,000), then times each stage in its own process — generate, ingest, every analysis of the build
 * pipeline, the site build — with its peak memory (GNU time's maximum resident set size when /usr/bin/time exists,
 * else the stage's own process.resourceUsage().maxRSS), prints a table and writes bench/results.json
 * (results for each N are kept side by side, so the README can show how costs grow).
 * --peers also prints issue 14's ratios in the same run (bench/peers.ts: `churn train` on IBM Telco against
 * scikit-learn's whole run, more files with --peer-file FILE:TARGET:POSITIVE:ID; the sample build's forest and
 * site stages against their targets) and the synthetic forest benchmark against scikit-learn (bench/forest.ts).
 * --browser runs bench/at-risk-browser.ts instead: the /at-risk page at N customers in headless Chromium.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PIPELINE } from "../models/pipeline.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
if (args.includes("--browser")) {
  // The /at-risk page at scale in Chromium: its own script (bench/at-risk-browser.ts) with the same --customers.
  const tsx = join(ROOT, "node_modules", ".bin", "tsx");
  const rest = args.filter((a) => a !== "--browser");
  const result = spawnSync(tsx, [join(ROOT, "bench", "at-risk-browser.ts"), ...rest], { cwd: ROOT, stdio: "inherit" });
  process.exit(result.status ?? 1);
}
const argValue = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const customers = Number(argValue("--customers") ?? 100_000);
const keep = args.includes("--keep");
const peers = args.includes("--peers");
if (!Number.isInteger(customers) || customers < 100) {
  process.stderr.write("bench: --customers takes a whole number ≥ 100\n");
  process.exit(2);
}

/** Targets of issue 14 (seconds / MiB, raw exports → site), by scale. */
const TARGETS: Record<number, { totalSeconds: number; peakMB: number }> = {
  100000: { totalSeconds: 30, peakMB: 4096 },
  1000000: { totalSeconds: 180, peakMB: 4096 },
};

interface Row {
  stage: string;
  seconds: number;
  peakRssMB: number;
  detail?: unknown;
}

const work = join(ROOT, "bench", "out", String(customers));
const exportsDir = join(work, "exports");
const db = join(work, "warehouse.duckdb");
const site = join(work, "site");
rmSync(work, { recursive: true, force: true });
mkdirSync(exportsDir, { recursive: true });

const hasGnuTime = existsSync("/usr/bin/time");
function runStage(stageArgs: string[]): Row {
  const tsx = join(ROOT, "node_modules", ".bin", "tsx");
  const command = hasGnuTime ? "/usr/bin/time" : tsx;
  const commandArgs = hasGnuTime
    ? ["-f", "GNUTIME %M", tsx, join(ROOT, "bench", "stage.ts"), ...stageArgs]
    : [join(ROOT, "bench", "stage.ts"), ...stageArgs];
  const result = spawnSync(command, commandArgs, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`bench stage ${stageArgs.join(" ")} failed`);
  }
  const line = result.stdout.trim().split("\n").pop()!;
  const row = JSON.parse(line) as Row;
  const gnu = /GNUTIME (\d+)/.exec(result.stderr);
  if (gnu) row.peakRssMB = Math.max(row.peakRssMB, Number(gnu[1]) / 1024);
  return row;
}

const rows: Row[] = [];
const show = (row: Row) => {
  rows.push(row);
  process.stdout.write(
    `${row.stage.padEnd(24)} ${row.seconds.toFixed(1).padStart(8)} s ${row.peakRssMB.toFixed(0).padStart(8)} MiB\n`,
  );
};
process.stdout.write(
  `churn benchmark: ${customers.toLocaleString("en")} customers on ${cpus().length} cores, ` +
    `${(totalmem() / 2 ** 30).toFixed(0)} GiB\n`,
);
process.stdout.write(`${"stage".padEnd(24)} ${"time".padStart(10)} ${"peak RSS".padStart(12)}\n`);
show(runStage(["generate", String(customers), exportsDir]));
show(runStage(["ingest", exportsDir, db]));
for (const stage of PIPELINE) show({ ...runStage(["analysis", stage.name, db]), stage: stage.name });
show(runStage(["site", db, site]));

const total = rows.reduce((s, r) => s + r.seconds, 0);
const peak = Math.max(...rows.map((r) => r.peakRssMB));
const endToEnd = rows.filter((r) => r.stage !== "generate").reduce((s, r) => s + r.seconds, 0);
const target = TARGETS[customers];
process.stdout.write(
  `${"raw exports → site".padEnd(24)} ${endToEnd.toFixed(1).padStart(8)} s ${peak.toFixed(0).padStart(8)} MiB peak`,
);
process.stdout.write(
  target
    ? `   target ≤ ${target.totalSeconds} s, ≤ ${target.peakMB} MiB: ` +
        `${endToEnd <= target.totalSeconds && peak <= target.peakMB ? "met" : "NOT met"}\n`
    : "\n",
);

const peerRows: unknown[] = [];
if (peers) {
  const { benchPeers, formatPeerRow, peerFiles, sklearnAvailable } = await import("./peers.ts");
  if (!sklearnAvailable())
    process.stdout.write("scikit-learn is not installed (apt-get install -y python3-sklearn): no peer ratios\n");
  for (const row of benchPeers(peerFiles(args))) {
    peerRows.push(row);
    process.stdout.write(`${formatPeerRow(row)}\n`);
  }
  const { benchForest } = await import("./forest.ts");
  for (const row of await benchForest({})) {
    peerRows.push(row);
    process.stdout.write(`${row.stage}: ${row.seconds.toFixed(2)} s — ${row.note}\n`);
  }
}

const resultsFile = join(ROOT, "bench", "results.json");
const previous = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, "utf8")) as Record<string, unknown>)
  : {};
const runs = (previous["runs"] as Record<string, unknown> | undefined) ?? {};
runs[String(customers)] = {
  customers,
  machine: {
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    cpu: cpus()[0]?.model ?? "unknown",
    node: process.version,
  },
  stages: rows,
  generateSeconds: rows[0]!.seconds,
  endToEndSeconds: endToEnd,
  totalSeconds: total,
  peakRssMB: peak,
  target: target ?? null,
  peers: peerRows,
};
writeFileSync(resultsFile, `${JSON.stringify({ runs }, null, 2)}\n`);
process.stdout.write(`wrote bench/results.json\n`);
if (!keep) rmSync(work, { recursive: true, force: true });
