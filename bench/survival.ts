/**
 * Kaplan-Meier + log-rank benchmark (issue 3): 1,000,000 subjects in 3 groups with exponential event times and
 * uniform censoring; times the overall curve with bands plus the 3-group log-rank test. Target ≤ 2 s.
 *   npx tsx bench/survival.ts [--n 1000000]
 */
import { createRandom } from "../loaders/random.ts";
import { kaplanMeier } from "../models/survival/kaplan-meier.ts";
import { logRankTest } from "../models/survival/log-rank.ts";
import type { BenchRow } from "./ingest.ts";

export async function benchSurvival(options: { n?: number } = {}): Promise<BenchRow[]> {
  const n = options.n ?? 1_000_000;
  const rng = createRandom(3);
  const durations = new Float64Array(n);
  const events = new Uint8Array(n);
  const groups: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const g = rng.int(3);
    const t = Math.ceil(rng.exponential([1 / 400, 1 / 600, 1 / 900][g]!));
    const c = Math.ceil(rng.next() * 1095);
    durations[i] = Math.min(t, c);
    events[i] = t <= c ? 1 : 0;
    groups[i] = ["Basic", "Pro", "Enterprise"][g]!;
  }
  const started = performance.now();
  const curve = kaplanMeier(durations, events);
  const test = logRankTest(durations, events, groups);
  const seconds = (performance.now() - started) / 1000;
  return [
    {
      stage: "Kaplan-Meier + 3-group log-rank",
      n,
      seconds,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      targetSeconds: 2,
      note: `median ${curve.median} days, χ² ${test.chisq.toFixed(0)} on ${test.df} df`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf("--n");
  const [row] = await benchSurvival(i >= 0 ? { n: Number(process.argv[i + 1]) } : {});
  process.stdout.write(
    `${row!.stage}, ${row!.n.toLocaleString("en")} subjects: ${row!.seconds.toFixed(2)} s ` +
      `(target ≤ 2 s: ${row!.seconds <= 2 ? "met" : "NOT met"}), ` +
      `peak RSS ${row!.peakRssMB.toFixed(0)} MiB; ${row!.note}\n`,
  );
}
