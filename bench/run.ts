/**
 * `npm run bench [-- --customers N] [-- --peers]`: the end-to-end benchmark. Generates a business of N customers
 * (default 100,000) in its own process, then times what a user runs, `churn build` from the raw exports to the site,
 * as one process: its wall time, its peak memory (the summed resident memory of its process tree, sampled: the site's
 * Framework process runs beside the last stage; GNU time's maximum resident set size of the largest process is shown
 * too) and the time of each stage as the build reports it (--json).
 * Prints a table and writes bench/results.json (results for each N are kept side by side, so the README can show how
 * costs grow).
 * --peers also prints issue 14's ratios in the same run (bench/peers.ts: `churn train` on IBM Telco against
 * scikit-learn's whole run, more files with --peer-file FILE:TARGET:POSITIVE:ID; the sample build's forest and
 * site stages against their targets) and the synthetic forest benchmark against scikit-learn (bench/forest.ts).
 * --browser runs bench/at-risk-browser.ts instead: the /at-risk page at N customers in headless Chromium.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sampleTreeRss } from "./tree-memory.ts";

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
/**
 * Run `node --import tsx script args` (as `npm run build` runs the command line) under GNU time when present; resolves
 * to stdout, the largest process's peak RSS in MiB (null: unknown) and the whole process tree's, sampled meanwhile
 * (tree-memory.ts).
 */
function timed(
  script: string,
  scriptArgs: string[],
): Promise<{ stdout: string; peakMB: number | null; treePeakMB: number }> {
  const node = [process.execPath, "--import", "tsx", script, ...scriptArgs];
  const command = hasGnuTime ? "/usr/bin/time" : node[0]!;
  const commandArgs = hasGnuTime ? ["-f", "GNUTIME %M", ...node] : node.slice(1);
  const child = spawn(command, commandArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const sampler = sampleTreeRss(child.pid!);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolveRun, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const treePeakMB = sampler.stop();
      if (code !== 0) {
        process.stderr.write(stdout + stderr);
        reject(new Error(`bench: ${script} ${scriptArgs.join(" ")} failed`));
        return;
      }
      const gnu = /GNUTIME (\d+)/.exec(stderr);
      resolveRun({ stdout, peakMB: gnu ? Number(gnu[1]) / 1024 : null, treePeakMB });
    });
  });
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
const generated = await timed(join(ROOT, "bench", "stage.ts"), ["generate", String(customers), exportsDir]);
const generateRow = JSON.parse(generated.stdout.trim().split("\n").pop()!) as Row;
show({ ...generateRow, peakRssMB: Math.max(generateRow.peakRssMB, generated.peakMB ?? 0) });

// What a user runs: one `churn build` process, raw exports → warehouse → site.
const started = performance.now();
const build = await timed(join(ROOT, "bin", "churn.ts"), [
  "build",
  "--source",
  exportsDir,
  "--db",
  db,
  "--out",
  site,
  "--json",
  "--quiet",
]);
const endToEnd = (performance.now() - started) / 1000;
const summary = JSON.parse(build.stdout) as {
  stages: { stage: string; seconds: number; startedBeside?: string; dataFrom?: string }[];
  seconds: number;
};
// The peak is the whole process tree's (the site's Framework process runs beside the last stages), sampled; GNU time's
// figure is the largest single process.
const peak = Number.isFinite(build.treePeakMB) ? build.treePeakMB : (build.peakMB ?? Number.NaN);
for (const stage of summary.stages)
  rows.push({
    stage: stage.stage,
    seconds: stage.seconds,
    peakRssMB: Number.NaN,
    ...(stage.startedBeside
      ? { detail: { startedBeside: stage.startedBeside, ...(stage.dataFrom ? { dataFrom: stage.dataFrom } : {}) } }
      : {}),
  });
for (const stage of summary.stages) {
  const data = stage.dataFrom && stage.dataFrom !== stage.startedBeside ? `, data files beside ${stage.dataFrom}` : "";
  const beside = stage.startedBeside ? ` (started beside ${stage.startedBeside}${data}: they overlap)` : "";
  process.stdout.write(`${stage.stage.padEnd(24)} ${stage.seconds.toFixed(1).padStart(8)} s${beside}\n`);
}
const startUp = endToEnd - summary.seconds;
process.stdout.write(`${"start-up and exit".padEnd(24)} ${startUp.toFixed(1).padStart(8)} s\n`);
const target = TARGETS[customers];
process.stdout.write(
  `${"raw exports → site".padEnd(24)} ${endToEnd.toFixed(1).padStart(8)} s ${peak.toFixed(0).padStart(8)} MiB peak` +
    ` (process tree; largest process ${build.peakMB === null ? "unknown" : `${build.peakMB.toFixed(0)} MiB`})`,
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
  command: "churn build --source EXPORTS --db DB --out SITE --json --quiet (one process)",
  peakRssMB: peak,
  peakRssMeasure: "summed RSS of the build's process tree, sampled every 250 ms (bench/tree-memory.ts)",
  largestProcessPeakRssMB: build.peakMB,
  target: target ?? null,
  peers: peerRows,
};
writeFileSync(resultsFile, `${JSON.stringify({ runs }, null, 2)}\n`);
process.stdout.write(`wrote bench/results.json\n`);
if (!keep) rmSync(work, { recursive: true, force: true });
