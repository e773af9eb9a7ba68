/**
 * Ingest benchmark (issue 2): 10,000,000 transaction rows (plus 1,000,000 customers) from CSV into a fresh warehouse.
 * Target on the 2-core, 24 GiB machine: ≤ 30 s and peak memory ≤ 4 GiB.
 *   npx tsx bench/ingest.ts [--rows N] [--keep]
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, run } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";

export interface BenchRow {
  stage: string;
  n: number;
  seconds: number;
  peakRssMB: number;
  targetSeconds?: number;
  note?: string;
}

const SYNTHETIC_TRANSACTIONS_SQL = `
  COPY (
    SELECT 'C' || lpad(CAST((i % $customers) + 1 AS VARCHAR), 7, '0') AS customer_id,
           CAST(DATE '2023-10-01' + CAST(floor(random() * 1095) AS INTEGER) AS VARCHAR) AS date,
           round(5 + random() * 200, 2) AS amount,
           'ORD-' || i AS order_id
    FROM range($rows) t(i)
  ) TO '__FILE__' (HEADER, DELIMITER ',')`;

const SYNTHETIC_CUSTOMERS_SQL = `
  COPY (
    SELECT 'C' || lpad(CAST(i + 1 AS VARCHAR), 7, '0') AS customer_id,
           DATE '2023-10-01' + CAST(i % 1000 AS INTEGER) AS signup_date
    FROM range($customers) t(i)
  ) TO '__FILE__' (HEADER, DELIMITER ',')`;

export async function benchIngest(options: { rows?: number; keep?: boolean } = {}): Promise<BenchRow[]> {
  const rows = options.rows ?? 10_000_000;
  const customers = Math.max(1, Math.round(rows / 10));
  const dir = join(tmpdir(), `churn-bench-ingest-${rows}`);
  mkdirSync(dir, { recursive: true });
  const tx = join(dir, "transactions.csv");
  if (!existsSync(tx)) {
    const db = await openDatabase(":memory:");
    // COPY targets cannot be parameters; the paths are our own temp paths, never user input.
    await run(db.connection, "SELECT setseed(0.42)");
    await run(db.connection, SYNTHETIC_TRANSACTIONS_SQL.replace("__FILE__", tx), { rows, customers });
    await run(db.connection, SYNTHETIC_CUSTOMERS_SQL.replace("__FILE__", join(dir, "customers.csv")), { customers });
    db.close();
  }
  const sizeMB = statSync(tx).size / 2 ** 20;
  const dbPath = join(dir, "warehouse.duckdb");
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const started = performance.now();
  const result = await ingest({ source: dir }, dbPath);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const peakRssMB = Math.max(peak / 2 ** 20, process.resourceUsage().maxRSS / 1024);
  const loaded = result.sources.find((s) => s.source === "transactions")?.loaded ?? 0;
  if (!options.keep) rmSync(dir, { recursive: true, force: true });
  return [
    {
      stage: "ingest",
      n: rows,
      seconds,
      peakRssMB,
      targetSeconds: 30,
      note:
        `${loaded.toLocaleString("en")} transactions loaded from ${sizeMB.toFixed(0)} MB CSV, ` +
        `${(rows / seconds / 1e6).toFixed(2)} M rows/s`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const rowsArg = args.indexOf("--rows");
  const [row] = await benchIngest({
    rows: rowsArg >= 0 ? Number(args[rowsArg + 1]) : undefined,
    keep: args.includes("--keep"),
  } as { rows?: number; keep?: boolean });
  const ok = row!.seconds <= 30 && row!.peakRssMB <= 4096;
  process.stdout.write(
    `ingest ${row!.n.toLocaleString("en")} rows: ${row!.seconds.toFixed(1)} s, ` +
      `peak RSS ${row!.peakRssMB.toFixed(0)} MiB (target ≤ 30 s, ≤ 4096 MiB: ${ok ? "met" : "NOT met"}); ` +
      `${row!.note}\n`,
  );
}
