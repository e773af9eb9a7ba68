/**
 * Issue 14's ratios, in one run (`npm run bench -- --peers`, or `npx tsx bench/peers.ts`):
 * - `churn train` on a flat churn file (default IBM Telco: --folds 5 --trees 300), as a whole process, against
 *   scikit-learn's whole run of the same cross-validation (bench/sklearn_cv.py under Debian's /usr/bin/python3,
 *   cold start included); target ≤ 1.0×. Also on two generated files of other shapes (bench/peer-files.ts: a bank-like
 *   file with a 3,000-name text column, a telecom-like one with 51 states). More files: --peer-file
 *   FILE:TARGET:POSITIVE:ID (repeatable).
 * - the sample build's forest and site stages (`churn build --json` on data/sample), against their targets
 *   (≤ 8 s and ≤ 6 s).
 * Without scikit-learn it says so (apt-get install -y python3-sklearn) and prints our times alone.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writePeerFiles } from "./peer-files.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const PYTHON = "/usr/bin/python3";
/** The command line as `npm run churn` starts it: node with tsx's loader (no tsx wrapper process). */
const CHURN = ["--import", "tsx", join(ROOT, "bin", "churn.ts")];
const TELCO = join(ROOT, "..", "shared", "data", "telco", "WA_Fn-UseC_-Telco-Customer-Churn.csv");

export interface PeerRow {
  stage: string;
  seconds: number;
  peerSeconds: number | null;
  ratio: number | null;
  target: string;
  met: boolean | null;
  note: string;
}

export interface FlatSpec {
  file: string;
  target: string;
  positive: string;
  id: string;
}

const GNU_TIME = "/usr/bin/time";

/** Run a whole process: wall seconds, and CPU seconds (user + system, children included) when GNU time is there. */
const timed = (command: string, args: string[]) => {
  const gnu = existsSync(GNU_TIME);
  const started = performance.now();
  const r = gnu
    ? spawnSync(GNU_TIME, ["-f", "GNUTIME %U %S", command, ...args], {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 1 << 28,
      })
    : spawnSync(command, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  const m = /GNUTIME ([\d.]+) ([\d.]+)/.exec(r.stderr ?? "");
  return { ...r, seconds, cpuSeconds: m ? Number(m[1]) + Number(m[2]) : null };
};
const cpu = (s: number | null) => (s === null ? "" : `, CPU ${s.toFixed(1)} s`);

export function sklearnAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import sklearn"]).status === 0;
}

/** `churn train` on one flat file against scikit-learn's whole run of the same cross-validation. */
export function trainPeer(spec: FlatSpec, folds = 5, trees = 300): PeerRow {
  const name = spec.file.split("/").pop()!;
  const flags = ["--target", spec.target, "--positive", spec.positive, "--id", spec.id];
  const ours = timed(process.execPath, [
    ...CHURN,
    "train",
    "--input",
    spec.file,
    ...flags,
    "--folds",
    String(folds),
    "--trees",
    String(trees),
    "--json",
    "--quiet",
  ]);
  if (ours.status !== 0) throw new Error(`churn train on ${name} failed:\n${ours.stderr}`);
  const out = JSON.parse(ours.stdout) as { auc: number };
  const stage = `churn train ${name} (${folds} folds × ${trees} trees)`;
  if (!sklearnAvailable())
    return {
      stage,
      seconds: ours.seconds,
      peerSeconds: null,
      ratio: null,
      target: "≤ 1.0× scikit-learn",
      met: null,
      note: `ours ROC-AUC ${out.auc.toFixed(3)}; scikit-learn not installed (apt-get install -y python3-sklearn)`,
    };
  const script = join(ROOT, "bench", "sklearn_cv.py");
  const peer = timed(PYTHON, [
    script,
    spec.file,
    spec.target,
    spec.positive,
    spec.id,
    String(folds),
    String(trees),
    "12",
    "5",
  ]);
  if (peer.status !== 0) throw new Error(`scikit-learn on ${name} failed:\n${peer.stderr}`);
  const sk = JSON.parse(peer.stdout.trim()) as { auc: number };
  const ratio = ours.seconds / peer.seconds;
  return {
    stage,
    seconds: ours.seconds,
    peerSeconds: peer.seconds,
    ratio,
    target: "≤ 1.0× scikit-learn",
    met: ratio <= 1,
    note:
      `ROC-AUC ours ${out.auc.toFixed(3)}, scikit-learn ${sk.auc.toFixed(3)} (whole processes, n_jobs=2); ` +
      `ours${cpu(ours.cpuSeconds)}, scikit-learn${cpu(peer.cpuSeconds)}`,
  };
}

/**
 * A stage started beside others (the site): which, and how long it went on after the last of them ended (the stages
 * from the one it started beside run one after another, so they end that many seconds after it started).
 */
function afterLastStage(
  stages: { stage: string; seconds: number }[],
  stage: { seconds: number; startedBeside?: string },
) {
  const from = stages.findIndex((s) => s.stage === stage.startedBeside);
  const pipeline = stages.slice(from).filter((s) => s !== stage);
  return stage.seconds - pipeline.reduce((t, s) => t + s.seconds, 0);
}

/** The sample build's forest and site stages against their targets. */
export function sampleBuildStages(): PeerRow[] {
  const dir = mkdtempSync(join(tmpdir(), "churn-bench-build-"));
  try {
    const r = timed(process.execPath, [
      ...CHURN,
      "build",
      "--db",
      join(dir, "warehouse.duckdb"),
      "--out",
      join(dir, "site"),
      "--json",
      "--quiet",
    ]);
    if (r.status !== 0) throw new Error(`churn build on the sample failed:\n${r.stderr}`);
    const summary = JSON.parse(r.stdout) as {
      stages: { stage: string; seconds: number; startedBeside?: string; dataFrom?: string }[];
    };
    const targets: Record<string, number> = { forest: 8, site: 6 };
    return Object.entries(targets).map(([stage, limit]) => {
      const found = summary.stages.find((s) => s.stage === stage);
      // A stage started beside others (the site, from the build's start on the sample) is timed by what it adds to
      // the build: how long it went on after the last of them ended.
      const beside = found?.startedBeside;
      const seconds = found ? (beside ? afterLastStage(summary.stages, found) : found.seconds) : Number.NaN;
      const overlap = beside
        ? `started beside ${beside}${found?.dataFrom ? ` (data files beside ${found.dataFrom})` : ""}, ` +
          `${found!.seconds.toFixed(2)} s from its start, ${seconds.toFixed(2)} s after the last stage; `
        : "";
      return {
        stage: `sample build: ${stage} stage${beside ? " (after the last stage)" : ""}`,
        seconds,
        peerSeconds: null,
        ratio: seconds / limit,
        target: `≤ ${limit} s`,
        met: seconds <= limit,
        note: `${overlap}whole build ${r.seconds.toFixed(1)} s${cpu(r.cpuSeconds)}`,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function benchPeers(extra: FlatSpec[] = []): PeerRow[] {
  const rows: PeerRow[] = [];
  const generated = mkdtempSync(join(tmpdir(), "churn-peer-files-"));
  try {
    const files = [
      ...(existsSync(TELCO) ? [{ file: TELCO, target: "Churn", positive: "Yes", id: "customerID" }] : []),
      ...writePeerFiles(generated),
      ...extra,
    ];
    for (const spec of files) rows.push(trainPeer(spec));
  } finally {
    rmSync(generated, { recursive: true, force: true });
  }
  rows.push(...sampleBuildStages());
  return rows;
}

export function formatPeerRow(r: PeerRow): string {
  const ratio = r.ratio === null ? "" : ` = ${r.ratio.toFixed(2)}×`;
  const peer = r.peerSeconds === null ? "" : ` vs scikit-learn ${r.peerSeconds.toFixed(2)} s`;
  const verdict = r.met === null ? "" : r.met ? "met" : "NOT met";
  return `${r.stage}: ${r.seconds.toFixed(2)} s${peer}${ratio} (target ${r.target}: ${verdict}) — ${r.note}`;
}

/** --peer-file FILE:TARGET:POSITIVE:ID arguments. */
export function peerFiles(args: string[]): FlatSpec[] {
  const out: FlatSpec[] = [];
  args.forEach((a, i) => {
    if (a !== "--peer-file") return;
    const [file, target, positive, id] = (args[i + 1] ?? "").split(":");
    if (!file || !target || !positive || !id) throw new Error("--peer-file takes FILE:TARGET:POSITIVE:ID");
    out.push({ file: resolve(file), target, positive, id });
  });
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of benchPeers(peerFiles(process.argv.slice(2)))) process.stdout.write(`${formatPeerRow(row)}\n`);
}
