/**
 * The /at-risk page's data: the whole scored list as Arrow IPC (src/data/lib/at-risk-arrow.ts) read back by the page's
 * own list code (src/components/at-risk-list.js). A scored_customers table of 3,000 made-up rows in an in-memory
 * DuckDB, with the columns `churn score` writes plus columns of other types (as later stages add), nulls, formula-like
 * and quoted text. Expectations come from DuckDB itself (SQL over the same table), not from the code under test.
 */
import { listValue } from "@duckdb/node-api";
import { tableFromIPC, Type } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase, query, run } from "../loaders/db.ts";
import { SCORED_COLUMNS, scoredListCsv } from "../models/actions/analyze.ts";
// @ts-expect-error: a plain browser module without type declarations
import * as listCode from "../src/components/at-risk-list.js";
// @ts-expect-error: a plain browser module without type declarations
import { toCsv } from "../src/components/csv.js";
import { atRiskArrow } from "../src/data/lib/at-risk-arrow.ts";

const { filterList, filterOptions, listFromArrow, plainRows, prepareSearch, ALL, NONE, OTHER, MAX_FILTER_VALUES } =
  listCode;
type Row = Record<string, unknown>;
type List = { columns: string[]; rows: Row[]; metadata: Record<string, string>; matchers?: unknown };

const N = 3000;
// Deterministic made-up rows: every value a function of i. Symptoms and drivers are lists of repeated phrases;
// names repeat (a dictionary pays); ids are unique (plain text pays).
const TABLE_SQL = `
  CREATE TABLE scored_customers AS
  SELECT 'C' || lpad(i::VARCHAR, 6, '0') AS customer_id,
    CASE WHEN i % 97 = 0 THEN '=HYPERLINK("x")' WHEN i % 89 = 0 THEN 'Müller, "GmbH"' ELSE 'Name ' || (i % 700) END
      AS name,
    ['SMB', 'Mid-market', 'Enterprise'][i % 3 + 1] AS segment,
    ['Basic', 'Pro', 'Enterprise', 'Team'][i % 4 + 1] AS plan,
    CASE WHEN i % 10 = 0 THEN 'churned (win-back candidate)' ELSE 'active' END AS status,
    CASE WHEN i % 10 = 0 THEN NULL ELSE ['true friends', 'butterflies', 'barnacles', 'strangers'][i % 4 + 1] END
      AS quadrant,
    CASE WHEN i % 10 = 0 THEN NULL ELSE ['low', 'mid', 'high'][i % 3 + 1] END AS tier,
    ((i * 7919) % 100003) / 100003.0 AS churn_probability,
    (i * 37.123457) % 250000 AS clv,
    ((i * 7919) % 100003) / 100003.0 * ((i * 37.123457) % 250000) AS value_at_risk,
    (i % 101)::INTEGER AS health_score,
    ['red', 'yellow', 'green'][i % 3 + 1] AS health_band,
    CASE WHEN i % 5 = 0 THEN NULL WHEN i % 7 = 0 THEN ''
      ELSE 'complaints: ' || (i % 4) || ' × complaints (2026-07-' || lpad((i % 28 + 1)::VARCHAR, 2, '0') || ')'
        || CASE WHEN i % 2 = 0 THEN '; nps_detractor: NPS 3 (2026-06-' || lpad((i % 13 + 1)::VARCHAR, 2, '0') || ')'
           ELSE '' END END AS symptoms,
    (i % 9) || ' complaints in the last 90 days; segment = ' || ['SMB', 'Mid-market', 'Enterprise'][i % 3 + 1]
      AS top_drivers,
    ['save offer', 'proactive call', 'let go', 'win-back', 'no action'][i % 5 + 1] AS recommended_action,
    CASE WHEN i % 5 = 0 THEN '-20% for 3 months' END AS offer,
    CASE WHEN i % 5 = 0 THEN i * 1.005 END AS offer_budget,
    CASE WHEN i % 3 = 0 THEN 'rules' ELSE 'model' END AS risk_source,
    CASE WHEN i % 4 = 0 THEN NULL ELSE DATE '2026-10-01' + (i % 30)::INTEGER END AS next_touch_date,
    CASE WHEN i % 4 = 0 THEN NULL ELSE ['status call', 'welcome call'][i % 2 + 1] END AS next_touch,
    CASE WHEN i % 4 = 0 THEN NULL ELSE ['phone', 'email'][i % 2 + 1] END AS channel,
    (i * 41.5) % 300000 AS value_if_retained,
    -- the list's rank, as churn score writes it: by value at risk, highest first
    row_number() OVER (ORDER BY ((i * 7919) % 100003) / 100003.0 * ((i * 37.123457) % 250000) DESC, i)::INTEGER
      AS risk_rank,
    i % 2 = 0 AS flagged,
    (i * 1000003)::BIGINT AS visits,
    (i / 7)::DECIMAL(18, 3) AS amount
  FROM range(1, ${N + 1}) t(i)`;

let db: Database;
let bytes: Uint8Array;
let list: List;

beforeAll(async () => {
  db = await openDatabase(":memory:");
  await run(db.connection, TABLE_SQL);
  bytes = await atRiskArrow(db.connection, { as_of: "2026-09-30" });
  list = listFromArrow(tableFromIPC(bytes));
});

afterAll(() => db?.close());

describe("the at-risk list as Arrow", () => {
  it("carries every row and every column of scored_customers, sorted as the CSV", async () => {
    const expected = await query(
      db.connection,
      `SELECT *, strftime(next_touch_date, '%Y-%m-%d') AS next_touch_text FROM scored_customers
       ORDER BY value_at_risk DESC, clv DESC, customer_id`,
    );
    expect(list.rows.length).toBe(N);
    expect(list.columns).toEqual(Object.keys(expected[0]!).filter((c) => c !== "next_touch_text"));
    expect(list.metadata["as_of"]).toBe("2026-09-30");
    list.rows.forEach((row, i) => {
      const e = expected[i]!;
      for (const c of ["customer_id", "name", "segment", "quadrant", "symptoms", "top_drivers", "offer", "risk_source"])
        expect(row[c], `${c} row ${i}`).toBe(e[c]);
      expect(row["next_touch_date"]).toBe(e["next_touch_text"]);
      expect(row["flagged"]).toBe(e["flagged"]);
      expect(row["visits"]).toBe(e["visits"]);
      expect(row["health_score"]).toBe(e["health_score"]);
      // Probabilities to 4 decimals, money to cents: the CSV's rounding.
      expect(row["churn_probability"]).toBeCloseTo(e["churn_probability"] as number, 4);
      expect(Math.abs((row["clv"] as number) - (e["clv"] as number))).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(row["offer_budget"] === null).toBe(e["offer_budget"] === null);
    });
  });

  it("types columns by their DuckDB type and encodes text compactly", () => {
    const table = tableFromIPC(bytes);
    const type = (c: string) => table.schema.fields.find((f) => f.name === c)!.type;
    expect(type("customer_id").typeId).toBe(Type.Utf8); // unique: a dictionary would only add an index
    expect(type("segment").typeId).toBe(Type.Dictionary);
    expect(type("name").typeId).toBe(Type.Dictionary); // 700-odd names over 3,000 rows
    expect(type("symptoms").typeId).toBe(Type.List); // 364 combinations of 130 phrases
    expect(type("health_score").typeId).toBe(Type.Int);
    expect(type("next_touch_date").typeId).toBe(Type.Date);
    expect(type("flagged").typeId).toBe(Type.Bool);
    expect(type("churn_probability").typeId).toBe(Type.Float);
    // The same rows as JSON (what the page used to load): Arrow is at most a quarter of it here.
    expect(bytes.length).toBeLessThan(0.25 * JSON.stringify(plainRows(list)).length);
  });

  it("is the same bytes however many tables the process built before it (dictionary ids by column)", async () => {
    // apache-arrow numbers dictionaries from a process-wide counter unless given ids: the second file differed.
    const again = await atRiskArrow(db.connection, { as_of: "2026-09-30" });
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it("with no filter, the view's CSV is byte for byte the full CSV download", async () => {
    const full = await scoredListCsv(db.connection);
    const view = filterList(list, {}, "");
    const columns = [...SCORED_COLUMNS];
    expect(
      toCsv(
        columns,
        view.map((r: Row) => columns.map((c) => r[c])),
      ),
    ).toBe(full.csv.toString("utf8"));
  });

  it("a segment filter gives every customer of that segment; filters combine", async () => {
    const [{ n }] = (await query(
      db.connection,
      "SELECT count(*)::INTEGER AS n FROM scored_customers WHERE segment = 'Enterprise'",
    )) as [{ n: number }];
    expect(filterList(list, { segment: "Enterprise", quadrant: ALL }, "").length).toBe(n);
    const [{ m }] = (await query(
      db.connection,
      "SELECT count(*)::INTEGER AS m FROM scored_customers WHERE segment = 'SMB' AND quadrant IS NULL",
    )) as [{ m: number }];
    expect(filterList(list, { segment: "SMB", quadrant: NONE }, "").length).toBe(m);
  });

  it("a search finds the lowest-ranked customer and matches every word anywhere", async () => {
    const last = list.rows.at(-1)!;
    expect(filterList(list, {}, String(last["customer_id"]).toLowerCase())).toEqual([last]);
    const [{ k }] = (await query(
      db.connection,
      `SELECT count(*)::INTEGER AS k FROM scored_customers
       WHERE lower(symptoms) LIKE '%nps_detractor%' AND lower(top_drivers) LIKE '%enterprise%'`,
    )) as [{ k: number }];
    expect(filterList(list, {}, "  NPS_detractor   enterprise ").length).toBe(k);
  });

  it("each word matches a value's text, never across values or columns, as SQL's contains() per column", async () => {
    // Ids are searched as one ASCII string ("1c0" would span two ids); names hold non-ASCII text (Müller), searched
    // value by value; symptoms and drivers through their phrase dictionaries.
    for (const word of ["1c0", "c0029", "müller", "ü", 'gmbh"', "=hyper", "nps_detractor", "(2026-07-0", "zzz", "e"]) {
      const [{ k }] = (await query(
        db.connection,
        `SELECT count(*)::INTEGER AS k FROM scored_customers
         WHERE contains(lower(customer_id), $w) OR contains(lower(coalesce(name, '')), $w)
           OR contains(lower(coalesce(symptoms, '')), $w) OR contains(lower(coalesce(top_drivers, '')), $w)`,
        { w: word },
      )) as [{ k: number }];
      expect(filterList(list, {}, word.toUpperCase()).length, word).toBe(k);
    }
  });

  it("prepares the search in idle moments; a search mid-way or after finds what one without it finds", async () => {
    const words = "  NPS_detractor   enterprise ";
    const expected = filterList(listFromArrow(tableFromIPC(bytes)), {}, words);
    const early = listFromArrow(tableFromIPC(bytes));
    prepareSearch(early);
    expect(early.matchers).toBeUndefined(); // nothing built yet: the page's first frames are not held up
    expect(filterList(early, {}, words)).toEqual(expected); // prepares the rest at once
    const idle = listFromArrow(tableFromIPC(bytes));
    prepareSearch(idle);
    while (!idle.matchers) await new Promise((r) => setTimeout(r, 5));
    expect(filterList(idle, {}, words)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });

  it("offers filters for present columns only, tiers and bands in their order", () => {
    const filters = filterOptions(list) as { column: string; options: string[] }[];
    expect(filters.map((f) => f.column)).toEqual([
      "quadrant",
      "health_band",
      "recommended_action",
      "segment",
      "plan",
      "tier",
      "risk_source",
    ]);
    expect(filters.find((f) => f.column === "tier")!.options).toEqual([ALL, "high", "mid", "low", NONE]);
    expect(filters.find((f) => f.column === "health_band")!.options).toEqual([ALL, "red", "yellow", "green"]);
  });

  it("degrades when a column is absent: no filter for it, and a stale choice is ignored", async () => {
    const other = await openDatabase(":memory:");
    try {
      await run(other.connection, TABLE_SQL);
      await run(other.connection, "ALTER TABLE scored_customers DROP COLUMN risk_source");
      await run(other.connection, "ALTER TABLE scored_customers DROP COLUMN tier");
      const small: List = listFromArrow(tableFromIPC(await atRiskArrow(other.connection)));
      const columns = (filterOptions(small) as { column: string }[]).map((f) => f.column);
      expect(columns).not.toContain("risk_source");
      expect(columns).not.toContain("tier");
      expect(filterList(small, { risk_source: "rules" }, "").length).toBe(N);
    } finally {
      other.close();
    }
  });

  it("lists a filter's 50 most frequent values and (other) for the rest; each row is in one option", async () => {
    const other = await openDatabase(":memory:");
    try {
      await run(other.connection, TABLE_SQL);
      // 80 plans: P0-P9 on every other row, the rest spread thinly (a plan name per account, in small).
      await run(
        other.connection,
        "UPDATE scored_customers SET plan = 'P' || " +
          "CASE WHEN risk_rank % 2 = 0 THEN risk_rank // 2 % 10 ELSE risk_rank // 2 % 80 END",
      );
      const many: List = listFromArrow(tableFromIPC(await atRiskArrow(other.connection)));
      const options = (filterOptions(many) as { column: string; options: string[] }[]).find(
        (f) => f.column === "plan",
      )!.options;
      expect(options.length).toBe(1 + MAX_FILTER_VALUES + 1);
      expect(options.at(-1)).toBe(OTHER);
      for (let k = 0; k < 10; k++) expect(options).toContain(`P${k}`);
      const listed = new Set(options.slice(1, -1));
      const [expected] = await query<{ n: number }>(
        other.connection,
        `SELECT count(*)::INTEGER AS n FROM scored_customers WHERE NOT list_contains($listed, plan)`,
        { listed: listValue([...listed]) },
      );
      expect(filterList(many, { plan: OTHER }, "").length).toBe(expected!.n);
      const perOption = options.slice(1).map((o) => filterList(many, { plan: o }, "").length);
      expect(perOption.reduce((a, b) => a + b, 0)).toBe(N);
    } finally {
      other.close();
    }
  });

  it("writes an empty list with a reason when nothing is scored", async () => {
    const empty: List = listFromArrow(tableFromIPC(await atRiskArrow(null, { as_of: "2026-01-31" })));
    expect(empty.rows).toEqual([]);
    expect(empty.metadata["reason"]).toMatch(/No scored customers/);
    expect(empty.metadata["as_of"]).toBe("2026-01-31");
  });
});
