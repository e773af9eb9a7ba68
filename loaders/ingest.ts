/**
 * `churn ingest`: load whichever of the six raw exports exist (CSV, TSV or Parquet) into a fresh DuckDB warehouse.
 * Every source is read as text, checked row by row in SQL (loaders/validate-rows.ts) and loaded; rows that cannot be
 * used go to rejected_rows with their file, line, column and reason, so for every source read = loaded + rejected.
 * The warehouse is always built as a new file and renamed over the old one at the end: a refusal or a crash part-way
 * leaves the previous warehouse as it was, and re-ingesting the same exports never duplicates rows.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { loadConfig, nativeConfig, type IngestConfig, type SourceConfig } from "./config.ts";
import { buildMemoryLimit, type Database, openDatabase, query, queryOne, run } from "./db.ts";
import { UserError } from "./errors.ts";
import { stageFile } from "./read-source.ts";
import { createTableSql, REJECTED_ROWS_SQL, SOURCE_NAMES, WAREHOUSE_META_SQL, type SourceName } from "./schema.ts";
import { loadStagedFile } from "./validate-rows.ts";
import { idMatchNote, matchOrphanIds, scientificIdNotes } from "./id-matching.ts";
import { noteMostlyRejected } from "./ingest-report.ts";
import { asOfOutsideData, defaultAsOf } from "./default-as-of.ts";

/** The text encodings the loader reads (`--encoding`, or "encoding" per source in a config file). */
export type Encoding = "utf-8" | "latin-1" | "utf-16";

export interface SourceLoadReport {
  source: SourceName;
  file: string;
  read: number;
  loaded: number;
  rejected: number;
  reasons: Record<string, number>;
  /** Formats read from the export's values, and a warning when most of its rows were rejected (ingest-report.ts). */
  notes?: string[];
}

export interface IngestResult {
  dbPath: string;
  asOf: string;
  dataFrom: string | null;
  dataTo: string | null;
  sources: SourceLoadReport[];
  missing: SourceName[];
  derivedCustomers: boolean;
  /** What the report must say about the whole load (e.g. why the as-of date is not the data's last date). */
  notes?: string[];
}

/** The single-file quick start: one transactions export and its column names. */
export interface SingleFileTransactions {
  file: string;
  customer: string;
  date: string;
  amount?: string;
  quantity?: string;
  price?: string;
  order?: string;
  dateFormat?: string;
  encoding?: Encoding;
  /** Keep exact duplicate rows (an export without order ids can repeat a genuine purchase). */
  keepDuplicates?: boolean;
}

export interface IngestOptions {
  /** Folder holding the exports (native names, or as mapped by the config). */
  source?: string;
  /** Path of a JSON config file mapping another layout. */
  config?: string;
  transactions?: SingleFileTransactions;
  /** One export file of any source, read as it is named (no glob), with its column mapping. */
  single?: { source: SourceName; config: SourceConfig };
  asOf?: string;
  /** The encoding of every export whose config does not name one (default utf-8). */
  encoding?: Encoding;
  log?: (message: string) => void;
}

/** Glob with *, ? and {a,b} on file names in one folder. */
function globFiles(folder: string, pattern: string): string[] {
  const full = isAbsolute(pattern) ? pattern : join(folder, pattern);
  const dir = dirname(full);
  if (!existsSync(dir)) return [];
  const regex = new RegExp(
    `^${basename(full)
      .replace(/[.+^$()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")
      .replace(/\{([^}]*)\}/g, (_, alts: string) => `(${alts.split(",").join("|")})`)}$`,
    "i",
  );
  return readdirSync(dir)
    .filter((f) => regex.test(f) && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

/** Kinds of file a business may save an export as that churn does not read, by extension. */
const UNREADABLE: Record<string, string> = {
  xlsx: "an Excel workbook",
  xlsm: "an Excel workbook",
  xls: "an old Excel workbook",
  ods: "an OpenDocument spreadsheet",
  numbers: "a Numbers spreadsheet",
  json: "a JSON file",
  xml: "an XML file",
  zip: "a zip archive",
};

/**
 * A source with no readable export but a file of its name in a format churn does not read (transactions.xlsx) is
 * refused by name: read without it, the report would only say "not found" at its end.
 */
function refuseUnreadableExport(folder: string, source: SourceName): void {
  for (const name of readdirSync(folder)) {
    const match = new RegExp(`^${source}\\.(.+)$`, "i").exec(name);
    const kind = match && UNREADABLE[match[1]!.toLowerCase()];
    if (kind)
      throw new UserError(`${join(folder, name)} is ${kind}: churn reads CSV, TSV or Parquet exports.`, {
        hint:
          `Save it as CSV (UTF-8) named ${source}.csv in the same folder (in a spreadsheet: Save As, CSV UTF-8), ` +
          "or export CSV from the tool.",
      });
  }
}

interface SourcePlan {
  source: SourceName;
  files: string[];
  config: SourceConfig;
}

function planSources(options: IngestOptions): { plans: SourcePlan[]; config: IngestConfig | null } {
  if (options.transactions) {
    const t = options.transactions;
    if (!existsSync(t.file)) throw new UserError(`File not found: ${t.file}.`);
    const columns: Record<string, string> = { customer_id: t.customer, date: t.date };
    if (t.amount) columns["amount"] = t.amount;
    if (t.order) columns["order_id"] = t.order;
    const config: SourceConfig = { file: t.file, columns };
    if (t.dateFormat) config.date_format = t.dateFormat;
    if (t.encoding) config.encoding = t.encoding;
    if (t.keepDuplicates) config.keep_duplicates = true;
    if (!t.amount && t.quantity && t.price) config.amount_from = { quantity: t.quantity, price: t.price };
    return { plans: [{ source: "transactions", files: [resolve(t.file)], config }], config: null };
  }
  if (options.single) {
    const { source, config } = options.single;
    if (!existsSync(config.file)) throw new UserError(`File not found: ${config.file}.`);
    return { plans: [{ source, files: [resolve(config.file)], config }], config: null };
  }
  const folder = options.source;
  if (!folder)
    throw new UserError("churn ingest needs --source DIR or --transactions FILE.", {
      hint: "See `churn ingest --help`.",
    });
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new UserError(`--source ${folder}: no such folder.`);
  const config = options.config ? loadConfig(options.config) : null;
  const plans: SourcePlan[] = [];
  for (const source of SOURCE_NAMES) {
    const sourceConfig = { ...(config?.sources[source] ?? nativeConfig(source)) };
    if (options.encoding && !sourceConfig.encoding) sourceConfig.encoding = options.encoding;
    const files = globFiles(folder, sourceConfig.file);
    if (config?.sources[source] && files.length === 0) {
      throw new UserError(
        `${options.config}: sources.${source}.file "${sourceConfig.file}" matches no file in ${folder}.`,
        {
          hint: `Files there: ${readdirSync(folder).slice(0, 20).join(", ")}.`,
        },
      );
    }
    if (files.length) plans.push({ source, files, config: sourceConfig });
    else if (!config?.sources[source]) refuseUnreadableExport(folder, source);
  }
  if (plans.length === 0) {
    throw new UserError(`${folder} holds none of the six exports.`, {
      hint:
        "Expected customers.csv, transactions.csv, subscriptions.csv, interactions.csv, surveys.csv or " +
        "cancellations.csv (or .tsv, .txt, gzipped, or .parquet), or a config file (--config) naming your files.",
    });
  }
  return { plans, config };
}

// Cancellations are left out of the data range and of derived customers: a billing tool can export a cancellation
// scheduled for the end of a term, and such a future date must not move the as-of date.
const DATE_SOURCES_SQL = `
  SELECT customer_id, signup_date AS d FROM customers
  UNION ALL SELECT customer_id, date FROM transactions
  UNION ALL SELECT customer_id, start_date FROM subscriptions
  UNION ALL SELECT customer_id, date FROM interactions
  UNION ALL SELECT customer_id, date FROM surveys`;

const DERIVE_CUSTOMERS_SQL = `
  INSERT INTO customers (customer_id, signup_date)
  SELECT customer_id, min(d) FROM (${DATE_SOURCES_SQL}) GROUP BY customer_id ORDER BY customer_id`;

const DATA_RANGE_SQL = `
  SELECT CAST(min(d) AS VARCHAR) AS first, CAST(max(d) AS VARCHAR) AS last
  FROM (${DATE_SOURCES_SQL})`;

async function setMeta(conn: DuckDBConnection, key: string, value: unknown): Promise<void> {
  await run(conn, "INSERT OR REPLACE INTO warehouse_meta VALUES ($key, $value)", {
    key,
    value: typeof value === "string" ? value : JSON.stringify(value),
  });
}

/** Sources loaded side by side: DuckDB reads one export on little more than one core (100k: 1.6 of 2). */
const INGEST_LANES = 2;

/**
 * Load every planned source, each source's files in order on one connection (a file's staging tables are that
 * connection's own; a customers file checks the ids loaded before it), the sources on INGEST_LANES connections at
 * once, largest first. No source reads another's table while loading (orphan ids are counted afterwards). Resolves to
 * each plan's reports, in the plans' order; on a failure the error thrown, once the lanes have stopped, is the first
 * a load in the plans' order would have met.
 */
async function loadSources(
  db: Database,
  plans: SourcePlan[],
  log: (line: string) => void,
): Promise<SourceLoadReport[][]> {
  const size = (plan: SourcePlan) => plan.files.reduce((n, f) => n + statSync(f).size, 0);
  const queue = plans.map((plan, i) => ({ plan, i, bytes: size(plan) })).sort((a, b) => b.bytes - a.bytes);
  const reports: SourceLoadReport[][] = plans.map(() => []);
  const failures: { i: number; error: unknown }[] = [];
  // After a failure only the sources before the first failed one (in the plans' order) still start, so the error
  // thrown is the one a load in order would have met first.
  const firstFailed = () => Math.min(Number.POSITIVE_INFINITY, ...failures.map((f) => f.i));
  const take = () => {
    while (queue.length && queue[0]!.i > firstFailed()) queue.shift();
    return queue.shift();
  };
  const lane = async (conn: DuckDBConnection) => {
    for (let next = take(); next; next = take()) {
      const { plan, i } = next;
      try {
        for (const file of plan.files) {
          const staged = await stageFile(conn, file, plan.config);
          let counts: Awaited<ReturnType<typeof loadStagedFile>>;
          try {
            counts = await loadStagedFile(conn, plan.source, staged, plan.config);
          } finally {
            staged.release?.();
          }
          if (counts.read !== counts.loaded + counts.rejected)
            throw new Error(
              `ingest: ${staged.file}: read ${counts.read} ≠ loaded ${counts.loaded} + rejected ${counts.rejected}`,
            );
          reports[i]!.push({ source: plan.source, file: staged.file, ...counts });
          log(
            `${plan.source.padEnd(14)} ${staged.file}: ` +
              `read ${counts.read}, loaded ${counts.loaded}, rejected ${counts.rejected}`,
          );
        }
      } catch (error) {
        failures.push({ i, error });
      }
    }
  };
  const extra = await Promise.all(
    Array.from({ length: Math.min(INGEST_LANES, plans.length) - 1 }, () => db.instance.connect()),
  );
  try {
    await Promise.all([db.connection, ...extra].map(lane));
  } finally {
    for (const conn of extra) conn.closeSync();
  }
  if (failures.length) throw failures.find((f) => f.i === firstFailed())!.error;
  return reports;
}

/** Write a complete, fresh warehouse at targetPath (which must not exist). Throws UserError on refusal; never swaps. */
export async function buildWarehouse(options: IngestOptions, targetPath: string): Promise<IngestResult> {
  if (existsSync(targetPath)) throw new Error(`buildWarehouse: ${targetPath} already exists`);
  const { plans, config } = planSources(options);
  const log = options.log ?? (() => {});
  // Bounded memory: DuckDB spills to disk beyond this (the 10M-row target is ≤ 4 GiB for the whole process).
  const db = await openDatabase(targetPath, { memoryLimit: buildMemoryLimit() });
  const conn = db.connection;
  try {
    for (const source of SOURCE_NAMES) await run(conn, createTableSql(source));
    await run(conn, REJECTED_ROWS_SQL);
    await run(conn, WAREHOUSE_META_SQL);
    const loaded = await loadSources(db, plans, log);
    const reports = plans.flatMap((_, i) => loaded[i]!);
    await noteMostlyRejected(conn, reports);
    const missing = SOURCE_NAMES.filter((s) => !plans.some((p) => p.source === s));
    const derivedCustomers = missing.includes("customers");
    if (derivedCustomers) await run(conn, DERIVE_CUSTOMERS_SQL);
    const range = await queryOne<{ first: string | null; last: string | null }>(conn, DATA_RANGE_SQL);
    const chosen = options.asOf ?? config?.as_of;
    const fallback = !chosen && range?.last ? await defaultAsOf(conn) : null;
    const asOf = chosen ?? fallback?.asOf;
    if (!asOf)
      throw new UserError(
        "No usable rows: every row of every export was rejected, so there is no date to analyse (" +
          reports.map((r) => `${r.file}: ${r.rejected} of ${r.read} rejected`).join("; ") +
          ").",
        {
          hint:
            "Most common reasons: " +
            Object.entries(
              reports.reduce<Record<string, number>>((all, r) => {
                for (const [reason, n] of Object.entries(r.reasons)) all[reason] = (all[reason] ?? 0) + n;
                return all;
              }, {}),
            )
              .sort((a, b) => b[1] - a[1])
              .slice(0, 3)
              .map(([reason, n]) => `${reason} (${n})`)
              .join(", ") +
            ". Fix the export or the config (date_format, delimiter, columns)." +
            reports
              .flatMap((r) => (r.notes ?? []).filter((n) => !n.startsWith("warning:")))
              .map((n) => ` ${n}`)
              .join(""),
        },
      );
    // Ids another export spells differently (case, leading zeros) are joined to their customers first.
    const idMatches = derivedCustomers
      ? []
      : await matchOrphanIds(
          conn,
          SOURCE_NAMES.filter((s) => s !== "customers"),
          config?.id_match ?? "auto",
        );
    const customersFile = reports.find((r) => r.source === "customers")?.file ?? "customers";
    // Ids still in no customer record, per export (matching counted them; the joined ones are no longer orphans).
    const orphans: Record<string, number> = {};
    if (!derivedCustomers)
      for (const source of SOURCE_NAMES.filter((s) => s !== "customers")) {
        const r = idMatches.find((m) => m.source === source);
        orphans[source] = r ? r.orphans - (r.joined ? r.matched : 0) : 0;
      }
    await setMeta(conn, "as_of", asOf);
    const loadNotes = [
      ...(fallback?.note ? [fallback.note] : []),
      ...(chosen && range?.first && range.last ? asOfOutsideData(chosen, range.first, range.last) : []),
      ...idMatches.flatMap((r) => idMatchNote(r, customersFile) ?? []),
      ...(await scientificIdNotes(conn, SOURCE_NAMES)),
    ];
    await setMeta(conn, "load_notes", loadNotes);
    await setMeta(conn, "data_from", range?.first ?? "");
    await setMeta(conn, "data_to", range?.last ?? "");
    await setMeta(conn, "ingested_sources", reports);
    await setMeta(conn, "missing_sources", missing);
    await setMeta(conn, "derived_customers", derivedCustomers);
    await setMeta(conn, "orphan_ids", orphans);
    await setMeta(conn, "id_matching", idMatches);
    await setMeta(conn, "config", config ?? { layout: options.transactions ? "single transactions file" : "native" });
    await run(conn, "CHECKPOINT");
    return {
      dbPath: targetPath,
      asOf,
      dataFrom: range?.first ?? null,
      dataTo: range?.last ?? null,
      sources: reports,
      missing,
      derivedCustomers,
      ...(loadNotes.length ? { notes: loadNotes } : {}),
    };
  } catch (error) {
    db.close();
    rmSync(targetPath, { force: true });
    rmSync(`${targetPath}.wal`, { force: true });
    throw error;
  } finally {
    try {
      db.close();
    } catch {
      // already closed after a failure
    }
  }
}

/** buildWarehouse into a temporary file beside dbPath, then rename it over dbPath. */
export async function ingest(options: IngestOptions, dbPath: string): Promise<IngestResult> {
  const target = resolve(dbPath);
  const tmp = `${target}.ingest-${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const result = await buildWarehouse(options, tmp);
  renameSync(tmp, target);
  rmSync(`${target}.wal`, { force: true });
  return { ...result, dbPath: target };
}

/** Rejected rows of a warehouse, for reports: reason → count per source. */
export async function rejectedSummary(
  conn: DuckDBConnection,
): Promise<{ source: string; reason: string; n: number }[]> {
  return query(
    conn,
    "SELECT source, reason, count(*)::BIGINT AS n FROM rejected_rows GROUP BY ALL ORDER BY source, n DESC",
  );
}
