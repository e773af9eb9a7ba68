/**
 * One step of the benchmark in its own process: bench/run.ts generates the business with it; the other steps run one
 * stage alone (for profiling a stage, e.g. with --cpu-prof).
 * Prints one JSON line: {stage, seconds, peakRssMB, detail}.
 *   tsx bench/stage.ts generate <customers> <dir>
 *   tsx bench/stage.ts ingest <dir> <db>
 *   tsx bench/stage.ts analysis <name> <db>        (name as in models/pipeline.ts)
 *   tsx bench/stage.ts site <db> <outDir>
 */
import { openDatabase, queryOne } from "../loaders/db.ts";
import { generateBusiness } from "../loaders/generate/index.ts";
import { ingest } from "../loaders/ingest.ts";
import { PIPELINE } from "../models/pipeline.ts";
import { buildSite } from "../bin/build/framework.ts";

const [stage, a, b] = process.argv.slice(2);
const started = performance.now();
let detail: unknown = null;

switch (stage) {
  case "generate":
    detail = await generateBusiness({
      customers: Number(a),
      seed: 42,
      out: b!,
      from: "2023-10-01",
      to: "2026-09-30",
      dirty: 0,
    });
    break;
  case "ingest": {
    const result = await ingest({ source: a! }, b!);
    detail = result.sources.map((s) => ({ source: s.source, read: s.read, loaded: s.loaded, rejected: s.rejected }));
    break;
  }
  case "analysis": {
    const entry = PIPELINE.find((s) => s.name === a);
    if (!entry) throw new Error(`unknown analysis ${a}`);
    const db = await openDatabase(b!);
    try {
      const asOf = (
        await queryOne<{ value: string }>(db.connection, "SELECT value FROM warehouse_meta WHERE key = 'as_of'")
      )?.value;
      const report = await entry.analysis({ conn: db.connection, dbPath: b!, asOf: asOf!, seed: 1, log: () => {} });
      await db.connection.run("CHECKPOINT");
      detail = { ran: report.ran, skipped: report.skipped ?? null };
    } finally {
      db.close();
    }
    break;
  }
  case "site":
    await buildSite(a!, b!, { quiet: true });
    break;
  default:
    throw new Error(`unknown stage ${stage}`);
}

const seconds = (performance.now() - started) / 1000;
// maxRSS is in kilobytes (Node docs, process.resourceUsage()).
const peakRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ stage, seconds, peakRssMB, detail })}\n`);
