/**
 * Drivers of attrition on the bundled sample: the Cox model of the survival stage recovers the generator's true
 * subscription hazard (data/sample/ground_truth.json: h = base(plan) × exp(1.5 · log(price ÷ list price) + …)).
 * The plan hazard ratios' 95% intervals contain the true ratios of base hazards (Pro 0.022/0.032, Enterprise
 * 0.013/0.032), the within-plan price coefficient's interval contains 1.5, and segment, which the generator gives no
 * effect, has intervals containing 1.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { ingest } from "../loaders/ingest.ts";
import { analyzeSurvival } from "../models/survival/analyze.ts";
import { tenureDays, tenureToChurn } from "../models/survival/tenure.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const sample = join(PROJECT_ROOT, "data", "sample");
const truth = JSON.parse(readFileSync(join(sample, "ground_truth.json"), "utf8")) as {
  plans: { name: string; baseMonthlyHazard: number }[];
  parameters: { hazard: { logPriceFactor: number } };
};

type Term = {
  term: string;
  coef: number;
  hazard_ratio: number;
  lower: number;
  upper: number;
};

describe("Cox drivers on the generated sample", () => {
  let terms: Term[];
  let lean: Awaited<ReturnType<typeof tenureDays>>;
  let full: Awaited<ReturnType<typeof tenureToChurn>>;
  beforeAll(async () => {
    const path = join(mkdtempSync(join(tmpdir(), "churn-cox-")), "w.duckdb");
    const result = await ingest({ source: sample }, path);
    const db = await openDatabase(path);
    expect(
      (await analyzeSurvival({ conn: db.connection, dbPath: path, asOf: result.asOf, seed: 1, log: () => {} })).ran,
    ).toBe(true);
    terms = await query<Term>(db.connection, "SELECT term, coef, hazard_ratio, lower, upper FROM survival_cox");
    lean = await tenureDays(db.connection, "2026-03-31");
    full = await tenureToChurn(db.connection, "2026-03-31");
    db.close();
  });

  it("the valuation's lean tenure query gives the same customers, tenures and events as tenureToChurn", () => {
    expect(lean.customerIds.length).toBeGreaterThan(1000);
    expect(lean.customerIds).toEqual(full.customerIds);
    expect(lean.days).toEqual(full.days);
    expect(lean.events).toEqual(full.events);
  });

  const term = (name: string) => {
    const t = terms.find((x) => x.term === name);
    if (!t) throw new Error(`no term ${name} among ${terms.map((x) => x.term).join(", ")}`);
    return t;
  };

  it("recovers the plans' true hazard ratios against Basic", () => {
    const base = (plan: string) => truth.plans.find((p) => p.name === plan)!.baseMonthlyHazard;
    for (const plan of ["Pro", "Enterprise"]) {
      const t = term(`plan = ${plan} (vs Basic)`);
      const trueRatio = base(plan) / base("Basic");
      expect(t.lower, `${plan}: true ${trueRatio}, fitted ${t.hazard_ratio} [${t.lower}, ${t.upper}]`).toBeLessThan(
        trueRatio,
      );
      expect(t.upper, `${plan}: true ${trueRatio}, fitted ${t.hazard_ratio} [${t.lower}, ${t.upper}]`).toBeGreaterThan(
        trueRatio,
      );
    }
  });

  it("recovers the price effect within the plan and finds no segment effect", () => {
    const price = term("log(starting MRR ÷ plan's median)");
    const b = truth.parameters.hazard.logPriceFactor;
    expect(Math.log(price.lower)).toBeLessThan(b);
    expect(Math.log(price.upper)).toBeGreaterThan(b);
    for (const t of terms.filter((x) => x.term.startsWith("segment = "))) {
      expect(t.lower, t.term).toBeLessThan(1);
      expect(t.upper, t.term).toBeGreaterThan(1);
    }
  });
});
