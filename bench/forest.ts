/**
 * Forest benchmark (issue 5): our forest vs scikit-learn's RandomForestClassifier (Debian's python3-sklearn at
 * /usr/bin/python3, n_jobs=2) on the same synthetic data — 100 trees of depth 10 on 5,000 and 100,000 rows × 20
 * features — with training seconds, the ratio, and ROC-AUC on held-out rows. Without scikit-learn it says so.
 *   npx tsx bench/forest.ts [--rows 5000,100000]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRandom } from "../loaders/random.ts";
import { rocAuc } from "../models/math/metrics.ts";
import { predictForest, trainForest } from "../models/forest/forest.ts";
import type { BenchRow } from "./ingest.ts";

const PYTHON = "/usr/bin/python3";

function sklearnAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import sklearn"]).status === 0;
}

export async function benchForest(options: { rows?: number[] } = {}): Promise<BenchRow[]> {
  const out: BenchRow[] = [];
  const peer = sklearnAvailable();
  for (const n of options.rows ?? [5000, 100_000]) {
    const rng = createRandom(n);
    const features = 20;
    const columns = Array.from({ length: features }, () => new Float64Array(n));
    const labels = new Uint8Array(n);
    const test = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let logit = -1;
      for (let f = 0; f < features; f++) {
        const v = rng.normal();
        columns[f]![i] = v;
        if (f < 5) logit += (f % 2 ? -0.8 : 0.8) * v;
        if (f === 5) logit += 0.6 * v * v;
      }
      labels[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
      test[i] = rng.next() < 0.2 ? 1 : 0;
    }
    const table = { names: columns.map((_, f) => `x${f}`), columns, rows: n };
    const train = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => !test[i]);
    const held = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => test[i] === 1);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const started = performance.now();
    const model = await trainForest(table, labels, train, { trees: 100, maxDepth: 10, minLeaf: 1, seed: 1 });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const auc = rocAuc(
      predictForest(model, table, held),
      Array.from(held, (i) => labels[i]!),
    );
    let note = `ours: ROC-AUC ${auc.toFixed(3)}`;
    if (peer) {
      const dir = mkdtempSync(join(tmpdir(), "churn-bench-forest-"));
      const csv = join(dir, "data.csv");
      const lines = [[...table.names, "y", "test"].join(",")];
      for (let i = 0; i < n; i++) lines.push([...columns.map((c) => c[i]!.toFixed(6)), labels[i], test[i]].join(","));
      writeFileSync(csv, `${lines.join("\n")}\n`);
      const script = fileURLToPath(new URL("./sklearn_forest.py", import.meta.url));
      const r = spawnSync(PYTHON, [script, csv, "100", "10", "2"], { encoding: "utf8" });
      if (r.status === 0) {
        const sk = JSON.parse(r.stdout.trim()) as { seconds: number; auc: number };
        note +=
          `; scikit-learn (n_jobs=2): ${sk.seconds.toFixed(2)} s, ROC-AUC ${sk.auc.toFixed(3)}; ` +
          `ours ÷ sklearn time = ${(seconds / sk.seconds).toFixed(2)}`;
      } else note += `; scikit-learn failed: ${r.stderr.split("\n").slice(-2).join(" ")}`;
    } else note += "; scikit-learn not installed (apt-get install python3-sklearn): peer skipped";
    out.push({
      stage: `forest 100 trees depth 10, ${n.toLocaleString("en")} × 20`,
      n,
      seconds,
      peakRssMB: Math.max(peak / 2 ** 20, process.resourceUsage().maxRSS / 1024),
      note,
    });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf("--rows");
  const rows = i >= 0 ? process.argv[i + 1]!.split(",").map(Number) : undefined;
  for (const r of await benchForest(rows ? { rows } : {}))
    process.stdout.write(`${r.stage}: ${r.seconds.toFixed(2)} s, peak RSS ${r.peakRssMB.toFixed(0)} MiB — ${r.note}\n`);
}
