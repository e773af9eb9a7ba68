/**
 * Monthly metrics + cohort matrix benchmark (issue 3): generates a business of N customers (default 1,000,000), ingests
 * it, then times the subscription states, the monthly metrics and the cohort matrix for the whole base (target ≤ 10 s
 * at 1M customers and ~10M transactions), and separately the same for every filter dimension as `churn build` does, and
 * one-off buyers' monthly churn by inactivity (the window from the purchase gaps, then every month for everyone and
 * every filter value in one query).
 *   npx tsx bench/cohorts.ts [--customers N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../loaders/db.ts";
import { generateBusiness } from "../loaders/generate/index.ts";
import { ingest } from "../loaders/ingest.ts";
import { cohortMatrix } from "../models/cohorts/cohort-matrix.ts";
import { monthlyMetrics } from "../models/cohorts/monthly-metrics.ts";
import { buildSubscriptionStates, DIMENSION_NAMES } from "../models/cohorts/subscription-states.ts";
import { buyerMonthly, inactivityWindow } from "../models/cohorts/inactivity.ts";
import type { BenchRow } from "./ingest.ts";

export async function benchCohorts(options: { customers?: number } = {}): Promise<BenchRow[]> {
  const customers = options.customers ?? 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), "churn-bench-cohorts-"));
  try {
    const summary = await generateBusiness({
      customers,
      seed: 42,
      out: join(dir, "exports"),
      from: "2023-10-01",
      to: "2026-09-30",
      dirty: 0,
    });
    const result = await ingest({ source: join(dir, "exports") }, join(dir, "w.duckdb"));
    const db = await openDatabase(join(dir, "w.duckdb"));
    try {
      let started = performance.now();
      await buildSubscriptionStates(db.connection, result.asOf);
      const months = await monthlyMetrics(db.connection, result.asOf, ["all"]);
      const cells = await cohortMatrix(db.connection, result.asOf, "all");
      const whole = (performance.now() - started) / 1000;
      started = performance.now();
      const others = DIMENSION_NAMES.filter((x) => x !== "all");
      await monthlyMetrics(db.connection, result.asOf, others);
      for (const d of others) await cohortMatrix(db.connection, result.asOf, d);
      const dims = (performance.now() - started) / 1000;
      started = performance.now();
      const window = await inactivityWindow(db.connection, result.asOf);
      const buyerRows = window ? await buyerMonthly(db.connection, result.asOf, window.days) : [];
      const buyers = (performance.now() - started) / 1000;
      const rss = process.resourceUsage().maxRSS / 1024;
      const tx = summary.rows["transactions.csv"] ?? 0;
      return [
        {
          stage: "monthly metrics + cohort matrix (whole base)",
          n: customers,
          seconds: whole,
          peakRssMB: rss,
          targetSeconds: 10,
          note: `${months.length} months, ${cells.length} cohort cells, ${tx.toLocaleString("en")} transactions`,
        },
        {
          stage: "the same for every filter value (plan, segment, region, channel)",
          n: customers,
          seconds: dims,
          peakRssMB: rss,
        },
        {
          stage: "one-off buyers' monthly churn, everyone and every filter value",
          n: customers,
          seconds: buyers,
          peakRssMB: rss,
          note: `window ${window?.days ?? "–"} days, ${buyerRows.length} rows`,
        },
      ];
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf("--customers");
  for (const r of await benchCohorts(i >= 0 ? { customers: Number(process.argv[i + 1]) } : {})) {
    const verdict = r.seconds <= (r.targetSeconds ?? 0) ? "met" : "NOT met";
    const target = r.targetSeconds ? ` (target ≤ ${r.targetSeconds} s: ${verdict})` : "";
    process.stdout.write(
      `${r.stage}, ${r.n.toLocaleString("en")} customers: ${r.seconds.toFixed(2)} s${target}, ` +
        `peak RSS ${r.peakRssMB.toFixed(0)} MiB${r.note ? `; ${r.note}` : ""}\n`,
    );
  }
}
