/**
 * The generated business: reproducible bytes, the native layout, consistent histories, and the true processes it
 * claims.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvParse } from "d3-dsv";
import { beforeAll, describe, expect, it } from "vitest";
import { generateBusiness } from "../loaders/generate/index.ts";
import { PLANS, TRUE_PARAMETERS } from "../loaders/generate/params.ts";
import { REASON_PARAMETERS } from "../loaders/generate/reasons.ts";
import { SOURCES, SOURCE_NAMES } from "../loaders/schema.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const FILES = [
  "customers.csv",
  "transactions.csv",
  "subscriptions.csv",
  "interactions.csv",
  "surveys.csv",
  "cancellations.csv",
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

  it("keeps each subscriber's periods ordered and disjoint, with cancellations, plan changes and reactivations", () => {
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

  it("makes one-off buyers buy as BG/NBD with the true parameters (E[X(t)], Fader, Hardie & Lee 2005 eq. 7)", () => {
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

  it("writes a cancellation for most churns, with the MRR that ended and reasons following the churn's causes", () => {
    const subs = read(dir, "subscriptions.csv");
    const cancellations = read(dir, "cancellations.csv");
    // A churn: a period that ends with no period of the same customer starting that day (a plan change does).
    const starts = new Set(subs.map((s) => `${s.customer_id}|${s.start_date}`));
    const churns = new Map(
      subs
        .filter((s) => s.end_date && !starts.has(`${s.customer_id}|${s.end_date}`))
        .map((s) => [`${s.customer_id}|${s.end_date}`, s]),
    );
    for (const c of cancellations) {
      const ended = churns.get(`${c.customer_id}|${c.date}`);
      expect(ended, `${c.customer_id} ${c.date}`).toBeDefined();
      expect(c.mrr_lost).toBe(ended!.mrr);
    }
    // Share of churns with a reason: 1 − noReasonShare, within 4 binomial standard errors.
    const p = 1 - REASON_PARAMETERS.noReasonShare;
    const n = churns.size;
    expect(n).toBeGreaterThan(300);
    expect(Math.abs(cancellations.length / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    // Causes: a price above list (MRR > 1.15 × the plan's list MRR) makes "Too expensive" likelier; the Basic plan
    // makes "Missing features" likelier (weights in loaders/generate/reasons.ts).
    const listMrr = new Map(PLANS.map((plan) => [plan.name as string, plan.mrr as number]));
    const plan = (c: (typeof cancellations)[number]) => churns.get(`${c.customer_id}|${c.date}`)!.plan!;
    const share = (rows: (typeof cancellations)[number][], reason: string) =>
      rows.filter((c) => c.reason === reason).length / rows.length;
    const dear = cancellations.filter((c) => Number(c.mrr_lost) > 1.15 * listMrr.get(plan(c))!);
    const cheap = cancellations.filter((c) => Number(c.mrr_lost) <= 1.15 * listMrr.get(plan(c))!);
    expect(dear.length).toBeGreaterThan(30);
    expect(share(dear, "Too expensive")).toBeGreaterThan(1.5 * share(cheap, "Too expensive"));
    const basic = cancellations.filter((c) => plan(c) === "Basic");
    const other = cancellations.filter((c) => plan(c) !== "Basic");
    expect(share(basic, "Missing features")).toBeGreaterThan(1.3 * share(other, "Missing features"));
    // Some rows leave the category to the rules, some carry the customer's words.
    expect(cancellations.some((c) => c.category === "")).toBe(true);
    expect(cancellations.some((c) => c.note !== "")).toBe(true);
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

describe("the bundled sample (data/sample)", () => {
  it("is exactly what the command in its README writes, byte for byte", async () => {
    const sample = join(PROJECT_ROOT, "data", "sample");
    const readme = readFileSync(join(sample, "README.md"), "utf8");
    const m = /generate --customers (\d+) --seed (\d+) --out data\/sample --dirty ([\d.]+)/.exec(readme);
    expect(m, "the README names the command").not.toBeNull();
    const out = mkdtempSync(join(tmpdir(), "churn-gen-sample-"));
    // The command's defaults for --from and --to (bin/commands/generate.ts).
    await generateBusiness({
      customers: Number(m![1]),
      seed: Number(m![2]),
      out,
      from: "2023-10-01",
      to: "2026-09-30",
      dirty: Number(m![3]),
    });
    const files = readdirSync(sample).filter((f) => f !== "README.md");
    expect(files.sort()).toEqual(readdirSync(out).sort());
    for (const f of files) expect(readFileSync(join(out, f)).equals(readFileSync(join(sample, f))), f).toBe(true);
  });
});
