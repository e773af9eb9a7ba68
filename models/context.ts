/**
 * What every warehouse analysis receives and returns. `churn build` runs the analyses in order
 * (cohorts → survival → value → quadrant survival → reasons → forest → actions → forecast); each reads the warehouse
 * tables of loaders/schema.ts, writes its own derived tables (CREATE OR REPLACE) and returns a short report for the
 * build log.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Progress } from "../loaders/progress.ts";
import type { ForecastGroundwork } from "./forecast/analyze.ts";
import type { ForestSnapshots, SnapshotValuations } from "./forest/analyze.ts";
import type { SharedWork } from "./value/landmark-valuation.ts";

export interface AnalysisContext {
  conn: DuckDBConnection;
  /** Path of the warehouse file being built (a temporary file until the build succeeds). */
  dbPath: string;
  /** The analysis date, YYYY-MM-DD: nothing after it is used. Defaults to the last date in the data. */
  asOf: string;
  /** Seed for every random step (bootstrap, folds, forest). */
  seed: number;
  /** Progress lines for the build log (silenced by --quiet). */
  log: (message: string) => void;
  /** Counts and ETAs of long steps (trees grown, snapshots built, customers scored); silent when absent. */
  progress?: Progress;
  /** A second connection to the same warehouse, for work runPipeline starts ahead of its stage. */
  connect?: () => Promise<DuckDBConnection>;
  /** The forest's snapshots, started early by runPipeline (absent: the forest builds them). */
  forestSnapshots?: Promise<ForestSnapshots>;
  /** The contact threshold's snapshot valuations, started by runPipeline once the snapshots are built. */
  forestValuations?: Promise<SnapshotValuations | undefined>;
  /**
   * The forecast's groundwork (its reads of the ingested tables and the backtest's simulation), or why it is skipped,
   * started early by runPipeline (absent: the forecast stage starts it).
   */
  forecastGroundwork?: Promise<ForecastGroundwork | { skipped: string }>;
  /** Work one stage hands to a later one in the same build (value/landmark-valuation.ts); absent: none is shared. */
  shared?: SharedWork;
}

export interface AnalysisReport {
  name: string;
  /** false when the warehouse lacks what the analysis needs; `skipped` then says what was missing. */
  ran: boolean;
  skipped?: string;
  /** Derived tables written. */
  tables: string[];
  /** A few headline figures for the build log. */
  summary: Record<string, unknown>;
}

export type Analysis = (ctx: AnalysisContext) => Promise<AnalysisReport>;
