/**
 * Customer ids of one export that another spells differently: the CRM writes "C0000123", the billing tool "c0000123";
 * a spreadsheet stripped an account number's leading zeros ("00123" → "123"). Left alone, every such customer is two:
 * a customer with no purchases and a buyer with no customer record, and the report counts both.
 *
 * After loading, each export's ids that are not in customers (orphans) are matched to the customer whose id is the
 * same once case is ignored and, for ids made only of digits, leading zeros: a match only when exactly one customer
 * has that form. Config `id_match`:
 *   "auto" (default): the matches are joined when they are plainly one spelling of the ids, not a coincidence: at
 *     least half of the export's ids are orphans and at least 90% of those match; otherwise they are reported;
 *   "loose": every match is joined; "exact": none is (ids differing only in case are different customers, as in some
 *     CRMs' case-sensitive ids).
 * A joined row keeps its values and gets the customer's id; nothing is dropped, and the report says what was joined.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query, queryOne, run } from "./db.ts";
import { quoteIdent } from "./read-source.ts";
import type { SourceName } from "./schema.ts";

export type IdMatchMode = "auto" | "exact" | "loose";

/** What matching found in one export. */
export interface IdMatchReport {
  source: SourceName;
  /** Distinct ids in the export, and those not in customers before matching. */
  ids: number;
  orphans: number;
  /** Orphans with exactly one customer of the same form, and whether they were joined to it. */
  matched: number;
  joined: boolean;
  example: { id: string; customer: string } | null;
  /** An orphan with no match (kept as it is). */
  unmatched: string | null;
}

/** The form ids are compared in: lower case, and for ids of digits only, without leading zeros. */
const form = (id: string) =>
  `CASE WHEN regexp_full_match(${id}, '[0-9]+') THEN coalesce(nullif(ltrim(${id}, '0'), ''), '0')
   ELSE lower(${id}) END`;

/** Share of an export's ids that must be orphans, and of those that must match, for "auto" to join them. */
const AUTO_ORPHAN_SHARE = 0.5;
const AUTO_MATCH_SHARE = 0.9;

/** Match (and, by `mode`, join) the orphan ids of each source to customers; one report per source with orphans. */
export async function matchOrphanIds(
  conn: DuckDBConnection,
  sources: readonly SourceName[],
  mode: IdMatchMode,
): Promise<IdMatchReport[]> {
  const reports: IdMatchReport[] = [];
  for (const source of sources) {
    const table = quoteIdent(source);
    await run(
      conn,
      `CREATE OR REPLACE TEMP TABLE id_matches AS
       WITH forms AS (SELECT customer_id, ${form("customer_id")} AS f FROM customers),
       unique_forms AS (SELECT f, any_value(customer_id) AS customer_id FROM forms GROUP BY f HAVING count(*) = 1),
       orphans AS (
         SELECT DISTINCT customer_id AS orphan FROM ${table}
         WHERE customer_id NOT IN (SELECT customer_id FROM customers))
       SELECT o.orphan, u.customer_id FROM orphans o LEFT JOIN unique_forms u ON u.f = ${form("o.orphan")}`,
    );
    try {
      const counts = await queryOne<{ ids: number; orphans: number; matched: number }>(
        conn,
        `SELECT (SELECT count(DISTINCT customer_id) FROM ${table})::BIGINT AS ids,
           count(*)::BIGINT AS orphans, count(customer_id)::BIGINT AS matched FROM id_matches`,
      );
      const ids = Number(counts?.ids ?? 0);
      const orphans = Number(counts?.orphans ?? 0);
      const matched = Number(counts?.matched ?? 0);
      if (orphans === 0) continue;
      const [example] = await query<{ id: string; customer: string }>(
        conn,
        `SELECT orphan AS id, customer_id AS customer FROM id_matches
         WHERE customer_id IS NOT NULL ORDER BY orphan LIMIT 1`,
      );
      const [unmatched] = await query<{ id: string }>(
        conn,
        "SELECT orphan AS id FROM id_matches WHERE customer_id IS NULL ORDER BY orphan LIMIT 1",
      );
      const joined =
        matched > 0 &&
        (mode === "loose" ||
          (mode === "auto" && orphans >= AUTO_ORPHAN_SHARE * ids && matched >= AUTO_MATCH_SHARE * orphans));
      if (joined)
        await run(
          conn,
          `UPDATE ${table} SET customer_id = m.customer_id FROM id_matches m
           WHERE ${table}.customer_id = m.orphan AND m.customer_id IS NOT NULL`,
        );
      reports.push({
        source,
        ids,
        orphans,
        matched,
        joined,
        example: example ?? null,
        unmatched: unmatched?.id ?? null,
      });
    } finally {
      await run(conn, "DROP TABLE IF EXISTS id_matches");
    }
  }
  return reports;
}

/** The report's sentence about one export's ids (null when all of them were customers' ids). */
export function idMatchNote(r: IdMatchReport, customersFile: string): string | null {
  const eg = r.example ? ` (e.g. "${r.example.id}" is "${r.example.customer}")` : "";
  const kept = "their rows are kept, and analysed as customers with no customer record";
  const unmatched = r.orphans - r.matched;
  const others = (n: number, what: string) =>
    `${n} ${what}customer id${n === 1 ? " is" : "s are"} in no customer record of ${customersFile}` +
    `${r.unmatched !== null ? ` (e.g. "${r.unmatched}")` : ""}: ${kept}.`;
  if (r.joined)
    return (
      `${r.source}: ${r.matched} customer id${r.matched === 1 ? " differs" : "s differ"} from ${customersFile}'s ` +
      `only in case or leading zeros${eg}; ` +
      `their rows were joined to those customers. Set "id_match": "exact" in a config file to keep them apart.` +
      (unmatched > 0 ? ` ${others(unmatched, "other ")}` : "")
    );
  if (r.matched > 0)
    return (
      `warning: ${r.source}: ${r.orphans} customer id${r.orphans === 1 ? " is" : "s are"} not in ${customersFile}; ` +
      `${r.matched === 1 && r.orphans === 1 ? "it differs" : `${r.matched} of them differ`} ` +
      `from a customer's only in case or leading zeros${eg}, too few to be sure they are the same customers, so ` +
      `they were not joined (set "id_match": "loose" in a config file to join them); ${kept}.`
    );
  return r.orphans > 0 ? `${r.source}: ${others(r.orphans, "")}` : null;
}

/**
 * Ids a spreadsheet rewrote in scientific notation (an account number 1000000000123 saved as "1.00E+12"): their digits
 * are gone and different customers share one id, which nothing can undo. Said per export, with what to do.
 */
export async function scientificIdNotes(conn: DuckDBConnection, sources: readonly SourceName[]): Promise<string[]> {
  const notes: string[] = [];
  for (const source of sources) {
    const [row] = await query<{ n: number; example: string | null }>(
      conn,
      `SELECT count(DISTINCT customer_id)::BIGINT AS n, min(customer_id) AS example FROM ${quoteIdent(source)}
       WHERE regexp_full_match(customer_id, '[0-9](\\.[0-9]+)?[eE]\\+?[0-9]+')`,
    );
    const n = Number(row?.n ?? 0);
    if (n > 0)
      notes.push(
        `warning: ${source}: ${n} customer id${n === 1 ? " is a number" : "s are numbers"} in scientific notation ` +
          `(e.g. "${row?.example}"), as a spreadsheet writes a long account number: its digits are lost, and ` +
          "different customers may share one id. Export the id column as text (in a spreadsheet, format the column " +
          "as Text before saving as CSV).",
      );
  }
  return notes;
}
