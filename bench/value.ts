/**
 * Customer-value benchmark: `npx tsx bench/value.ts [--customers N]` (default 1,000,000).
 * Simulates a BG/NBD + Gamma-Gamma population (loaders/random.ts, seed 7) over 3 years, loads its transactions into a
 * DuckDB file, then times the stages of `churn clv`: RFM summary (SQL), BG/NBD fit, Gamma-Gamma fit, per-customer
 * scoring (P(alive), expected purchases, expected spend, 12-month CLV). Issue 4 sets no time target; the
 * end-to-end budget (issue 8) is what counts. The 10 s / 5 s marks printed here are our own working targets.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendRows } from "../loaders/append.ts";
import { openDatabase, run } from "../loaders/db.ts";
import { createRandom } from "../loaders/random.ts";
import { createTableSql } from "../loaders/schema.ts";
import { conditionalExpectedPurchases, fitBgNbd, probabilityAlive } from "../models/value/bgnbd.ts";
import { buyerClv } from "../models/value/clv.ts";
import { conditionalExpectedSpend, fitGammaGamma } from "../models/value/gamma-gamma.ts";
import { rfmSummary } from "../models/value/rfm.ts";

import type { BenchRow } from "./ingest.ts";

const TRUE = { r: 0.8, alpha: 6, a: 0.8, b: 4, p: 6, q: 4, gamma: 15 };
const DAYS = 3 * 365;
const START = "2023-01-01";
const CALIBRATION_END = "2025-12-31";

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));

async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number; peakRssMB: number }> {
  peak = 0;
  sample();
  const timer = setInterval(sample, 50);
  const t0 = performance.now();
  try {
    const value = await fn();
    sample();
    return { value, seconds: (performance.now() - t0) / 1000, peakRssMB: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

export async function benchValue(options: { customers?: number } = {}): Promise<BenchRow[]> {
  const n = options.customers ?? 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), "bench-value-"));
  const db = await openDatabase(join(dir, "w.duckdb"));
  const rows: BenchRow[] = [];
  try {
    const conn = db.connection;
    const load = await timed(async () => {
      await run(conn, createTableSql("transactions"));
      await run(conn, "CREATE TABLE staging (customer_id VARCHAR, day INTEGER, amount DOUBLE)");
      const rng = createRandom(7);
      let batch: [string, number, number][] = [];
      let total = 0;
      for (let c = 0; c < n; c++) {
        const id = `c${c}`;
        const lambda = rng.gamma(TRUE.r, TRUE.alpha) / 7; // per day
        const p = rng.beta(TRUE.a, TRUE.b);
        const nu = rng.gamma(TRUE.q, TRUE.gamma);
        const birth = rng.int(365);
        batch.push([id, birth, Math.round(rng.gamma(TRUE.p, nu) * 100) / 100]);
        // BG/NBD: Poisson purchases while alive; after each repeat purchase the customer drops out with probability p.
        let time = birth;
        for (;;) {
          time += rng.exponential(lambda);
          if (time >= DAYS) break;
          batch.push([id, Math.floor(time), Math.round(rng.gamma(TRUE.p, nu) * 100) / 100]);
          if (rng.next() < p) break;
        }
        if (batch.length >= 200_000) {
          total += batch.length;
          await appendRows(conn, "staging", ["varchar", "integer", "double"], batch);
          batch = [];
        }
      }
      total += batch.length;
      await appendRows(conn, "staging", ["varchar", "integer", "double"], batch);
      await run(
        conn,
        `INSERT INTO transactions (customer_id, date, amount)
         SELECT customer_id, CAST($start AS DATE) + day, amount FROM staging`,
        { start: START },
      );
      await run(conn, "DROP TABLE staging");
      return total;
    });
    rows.push({
      stage: "simulate + load transactions",
      n: load.value,
      seconds: load.seconds,
      peakRssMB: load.peakRssMB,
      note: "set-up, not timed by the issue",
    });

    const rfm = await timed(() => rfmSummary(conn, CALIBRATION_END, "week", "all"));
    rows.push({
      stage: "RFM summary (DuckDB SQL)",
      n: rfm.value.customerIds.length,
      seconds: rfm.seconds,
      peakRssMB: rfm.peakRssMB,
    });
    const bg = await timed(() => fitBgNbd(rfm.value));
    rows.push({
      stage: "BG/NBD fit + standard errors",
      n,
      seconds: bg.seconds,
      peakRssMB: bg.peakRssMB,
      targetSeconds: 10,
      note:
        `r ${bg.value.r.toFixed(3)} α ${bg.value.alpha.toFixed(3)} ` +
        `a ${bg.value.a.toFixed(3)} b ${bg.value.b.toFixed(3)} ` +
        `(true ${TRUE.r}, ${TRUE.alpha}, ${TRUE.a}, ${TRUE.b})`,
    });
    const gg = await timed(() => fitGammaGamma(rfm.value.frequency, rfm.value.monetary));
    rows.push({
      stage: "Gamma-Gamma fit",
      n: gg.value.customers,
      seconds: gg.seconds,
      peakRssMB: gg.peakRssMB,
      targetSeconds: 10,
      note:
        `p ${gg.value.p.toFixed(2)} q ${gg.value.q.toFixed(2)} v ${gg.value.v.toFixed(2)} ` +
        `(true ${TRUE.p}, ${TRUE.q}, ${TRUE.gamma})`,
    });
    const score = await timed(() => {
      const s = rfm.value;
      const options = { steps: 12, periodsPerStep: 30.4375 / 7, discountPerStep: 0.01, margin: 1 };
      const clv = new Float64Array(s.customerIds.length);
      for (let i = 0; i < clv.length; i++) {
        const x = s.frequency[i]!,
          tx = s.recency[i]!,
          T = s.T[i]!;
        probabilityAlive(bg.value, x, tx, T);
        conditionalExpectedPurchases(bg.value, 52.18, x, tx, T);
        const spend = conditionalExpectedSpend(gg.value, x, s.monetary[i]!);
        clv[i] = buyerClv(bg.value, spend, x, tx, T, options);
      }
      return clv;
    });
    rows.push({
      stage: "per-customer scoring (P(alive), E[purchases], spend, 12-month CLV)",
      n,
      seconds: score.seconds,
      peakRssMB: score.peakRssMB,
      targetSeconds: 5,
    });
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const i = process.argv.indexOf("--customers");
  const customers = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
  if (!Number.isInteger(customers) || customers < 100) {
    process.stderr.write("bench/value: --customers takes a whole number ≥ 100\n");
    process.exit(2);
  }
  const result = await benchValue({ customers });
  const pad = (s: string, w: number) => s.padEnd(w);
  process.stdout.write(
    `${pad("stage", 70)}${pad("n", 12)}${pad("seconds", 10)}${pad("peak RSS MB", 13)}${pad("target s", 10)}result\n`,
  );
  for (const r of result) {
    const verdict = r.targetSeconds === undefined ? "" : r.seconds <= r.targetSeconds ? "pass" : "FAIL";
    const target = r.targetSeconds === undefined ? "-" : String(r.targetSeconds);
    process.stdout.write(
      `${pad(r.stage, 70)}${pad(String(r.n), 12)}${pad(r.seconds.toFixed(2), 10)}${pad(String(r.peakRssMB), 13)}` +
        `${pad(target, 10)}${verdict}${r.note ? `  ${r.note}` : ""}\n`,
    );
  }
}
