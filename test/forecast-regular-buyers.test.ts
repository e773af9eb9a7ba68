/**
 * The forecast's warning about buyers who buy like clockwork (models/forecast/regular-buyers.ts): the bundled sample
 * without its subscriptions export reads its subscribers' monthly invoices as purchases, and the buyers' Poisson
 * forecast then undercounts them (backtest 18.7% against a flat forecast's 8.5%); the note says so. The whole sample,
 * whose buyers buy irregularly, gets none.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { buyerWindow } from "../models/cohorts/active.ts";
import { regularBuyersNote } from "../models/forecast/regular-buyers.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const SAMPLE = join(PROJECT_ROOT, "data", "sample");

/** The note for a warehouse of the sample's exports `files`, as of its as-of date. */
async function noteFor(files: string[]): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), "churn-regular-"));
  for (const f of files) copyFileSync(join(SAMPLE, f), join(dir, f));
  const path = join(dir, "w.duckdb");
  const { asOf } = await ingest({ source: dir }, path);
  const db = await openDatabase(path);
  try {
    const window = await buyerWindow(db.connection, asOf);
    return await regularBuyersNote(db.connection, asOf, window.days);
  } finally {
    db.close();
  }
}

describe("buyers who buy at regular intervals", () => {
  it("invoices only (the sample without subscriptions.csv): the note says its buyers are regular", async () => {
    const note = await noteFor(["customers.csv", "transactions.csv"]);
    expect(note).toMatch(/^[\d,]+ of the [\d,]+ active one-off buyers \((\d+)%\) buy at regular intervals/);
    expect(Number(/\((\d+)%\)/.exec(note!)![1])).toBeGreaterThan(40);
  });

  it("the whole sample: its one-off buyers buy irregularly, no note", async () => {
    expect(await noteFor(["customers.csv", "transactions.csv", "subscriptions.csv"])).toBeNull();
  });
});
