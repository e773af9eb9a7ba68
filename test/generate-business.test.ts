/** The generated business: reproducible bytes, the native layout, consistent histories, and the true processes it claims. */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvParse } from "d3-dsv";
import { beforeAll, describe, expect, it } from "vitest";
import { generateBusiness } from "../loaders/generate/index.ts";
import { TRUE_PARAMETERS } from "../loaders/generate/params.ts";
import { SOURCES, SOURCE_NAMES } from "../loaders/schema.ts";

const FILES = [
  "customers.csv",
  "transactions.csv",
  "subscriptions.csv",
  "interactions.csv",
  "surveys.csv",
  "ground_truth.csv",
  "ground_truth.json",
];
const hashDir = (dir: string) =>
  FILES.map((f) =>
    createHash("sha256")
      .update(readFileSync(join(dir, f)))
      .digest("hex"),
  ).join(":");
const read = (dir: string, f: string) => csvParse(readFileSync(join(dir, f), "utf8"));
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

/**
 * BG/NBD unconditional expectation E[X(t)] (Fader, Hardie & Lee 2005, eq. 7):
 * (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))], with the Gauss series for 2F1 (|z| < 1).
 */
function expectedRepeatPurchases(t: number, r: number, alpha: number, a: number, b: number): number {
  const z = t / (alpha + t);
  const c = a + b - 1;
  let term = 1;
  let sum = 1;
  for (let k = 0; k < 100_000 && Math.abs(term) > 1e-14; k++) {
    term *= (((r + k) * (b + k)) / ((c + k) * (k + 1))) * z;
    sum += term;
  }
  return ((a + b - 1) / (a - 1)) * (1 - (alpha / (alpha + t)) ** r * sum);
}

describe("churn generate", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "churn-gen-"));
    await generateBusiness({ customers: 4000, seed: 7, out: dir, from: "2023-10-01", to: "2026-09-30", dirty: 0 });
  });

  it("gives byte-identical files for the same seed and different files for another", async () => {
    const again = mkdtempSync(join(tmpdir(), "churn-gen-"));
    await generateBusiness({ customers: 4000, seed: 7, out: again, from: "2023-10-01", to: "2026-09-30", dirty: 0 });
    expect(hashDir(again)).toBe(hashDir(dir));
    const other = mkdtempSync(join(tmpdir(), "churn-gen-"));
    await generateBusiness({ customers: 4000, seed: 8, out: other, from: "2023-10-01", to: "2026-09-30", dirty: 0 });
    expect(hashDir(other)).not.toBe(hashDir(dir));
  });

  it("writes the native layout of every source, with dates inside the range", () => {
    for (const source of SOURCE_NAMES) {
      const rows = read(dir, `${source}.csv`);
      expect(rows.columns).toEqual(SOURCES[source].columns.map((c) => c.name));
      const dateColumn = SOURCES[source].columns.find((c) => c.type === "date")!.name;
      for (const row of rows) {
        expect(
          row[dateColumn]! >= "2023-10-01" && row[dateColumn]! <= "2026-09-30",
          `${source} ${row[dateColumn]}`,
        ).toBe(true);
      }
    }
  });

  it("keeps each subscriber's periods ordered and non-overlapping, with cancellations, plan changes and reactivations", () => {
    const subs = read(dir, "subscriptions.csv");
    const byCustomer = new Map<string, (typeof subs)[number][]>();
    for (const s of subs) byCustomer.set(s.customer_id!, [...(byCustomer.get(s.customer_id!) ?? []), s]);
    let reactivations = 0;
    let planChanges = 0;
    for (const periods of byCustomer.values()) {
      for (let i = 0; i < periods.length; i++) {
        const p = periods[i]!;
        if (p.end_date) expect(p.end_date > p.start_date!).toBe(true);
        const next = periods[i + 1];
        if (next) {
          expect(p.end_date, "only the last period may be open").toBeTruthy();
          expect(next.start_date! >= p.end_date!).toBe(true);
          if (next.start_date! > p.end_date!) reactivations++;
          else planChanges++;
        }
      }
    }
    expect(reactivations).toBeGreaterThan(5);
    expect(planChanges).toBeGreaterThan(5);
    const cancelled = subs.filter((s) => s.end_date).length;
    expect(cancelled).toBeGreaterThan(100);
  });

  it("makes one-off buyers purchase as BG/NBD with the true parameters (E[X(t)], Fader, Hardie & Lee 2005 eq. 7)", () => {
    const truth = read(dir, "ground_truth.csv");
    const buyers = new Set(truth.filter((t) => t.kind === "buyer").map((t) => t.customer_id!));
    const tx = read(dir, "transactions.csv").filter((t) => buyers.has(t.customer_id!) && Number(t.amount) > 0);
    const t = 52; // weeks after the first purchase
    const first = new Map<string, number>();
    const days = new Map<string, Set<number>>();
    for (const row of tx) {
      const d = day(row.date!);
      first.set(row.customer_id!, Math.min(first.get(row.customer_id!) ?? Infinity, d));
      if (!days.has(row.customer_id!)) days.set(row.customer_id!, new Set());
      days.get(row.customer_id!)!.add(d);
    }
    const end = day("2026-09-30");
    const counts: number[] = [];
    for (const [id, f] of first) {
      if (f + t * 7 > end) continue;
      // Same-day purchases are one purchase (as in the RFM summary); count repeat purchase days within t weeks.
      counts.push([...days.get(id)!].filter((d) => d > f && d < f + t * 7).length);
    }
    const { r, alpha, a, b } = TRUE_PARAMETERS.bgnbd;
    const expected = expectedRepeatPurchases(t, r, alpha, a, b);
    const mean = counts.reduce((s, x) => s + x, 0) / counts.length;
    const sd = Math.sqrt(counts.reduce((s, x) => s + (x - mean) ** 2, 0) / (counts.length - 1));
    expect(counts.length).toBeGreaterThan(500);
    // Same-day merging loses a few purchases, so allow 3 standard errors plus 2%.
    expect(Math.abs(mean - expected)).toBeLessThan(3 * (sd / Math.sqrt(counts.length)) + 0.02 * expected);
  });

  it("gives churners more critical precursors and complaints before churn than customers who stay", () => {
    const truth = read(dir, "ground_truth.csv").filter((t) => t.kind === "subscription");
    const interactions = read(dir, "interactions.csv");
    const critical = new Set([
      "cancellation_request",
      "failed_payment",
      "downgrade_request",
      "contact_left",
      "renewal_postponed",
    ]);
    const perCustomer = new Map<string, number>();
    for (const i of interactions)
      if (critical.has(i.type!)) perCustomer.set(i.customer_id!, (perCustomer.get(i.customer_id!) ?? 0) + 1);
    const rate = (rows: typeof truth) => rows.filter((t) => perCustomer.has(t.customer_id!)).length / rows.length;
    const churners = truth.filter((t) => t.churned === "1");
    const stayers = truth.filter((t) => t.churned === "0");
    expect(churners.length).toBeGreaterThan(100);
    expect(rate(churners)).toBeGreaterThan(0.5);
    expect(rate(stayers)).toBeLessThan(rate(churners) / 2);
  });

  it("injects exactly the dirty rows it lists, at the lines it names", async () => {
    const dirty = mkdtempSync(join(tmpdir(), "churn-gen-dirty-"));
    await generateBusiness({ customers: 1500, seed: 3, out: dirty, from: "2024-01-01", to: "2025-12-31", dirty: 0.01 });
    const truth = JSON.parse(readFileSync(join(dirty, "ground_truth.json"), "utf8")) as {
      dirty_rows: { file: string; line: number; kind: string }[];
    };
    expect(truth.dirty_rows.length).toBeGreaterThan(50);
    const lines = new Map<string, string[]>();
    for (const { file, line, kind } of truth.dirty_rows) {
      if (!lines.has(file)) lines.set(file, readFileSync(join(dirty, file), "utf8").split("\n"));
      const text = lines.get(file)![line - 1]!;
      const header = lines.get(file)![0]!.split(",");
      if (kind === "empty_id") expect(text.startsWith(",")).toBe(true);
      if (kind === "impossible_date") expect(text.split(",")[1]).toMatch(/-02-30$/);
      if (kind === "bad_number") expect(text).toContain("12..5");
      if (kind === "missing_field") expect(text.split(",").length).toBe(header.length - 1);
      if (kind === "duplicate") expect(lines.get(file)![line - 2]).toBe(text);
    }
  });
});
