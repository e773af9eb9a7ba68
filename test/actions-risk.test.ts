/**
 * Rules first, model when it can: the rules ranking, health without a model, and value at risk for a subscriber and a
 * buyer, each against a small constructed warehouse (as of 2026-06-30) whose expected values are computed by hand.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Database, openDatabase, query, run } from "../loaders/db.ts";
import { readMetaKey } from "../loaders/meta.ts";
import { createTableSql } from "../loaders/schema.ts";
import { actionsAnalysis } from "../models/actions/analyze.ts";
import { healthScore } from "../models/actions/health.ts";
import { loadRules } from "../models/actions/rules-config.ts";
import { rankCustomers, valueAtRisk, valueIfRetained, type RankInput } from "../models/actions/risk.ts";
import { conditionalExpectedPurchases, probabilityAlive } from "../models/value/bgnbd.ts";
import { buyerClv } from "../models/value/clv.ts";

const AS_OF = "2026-06-30";
const rules = loadRules();

/**
 * Seven active customers and one recent cancellation. Symptom weights (data/rules/symptoms.json): complaints 0.15,
 * low_nps 0.15, unhappy_moods 0.10, delivery_delays 0.10, low_csat 0.10; cancellation_request is critical.
 *   crit-high   asked to cancel + 2 complaints       critical, recapitulative 0.15, CLV 500
 *   crit-low    asked to cancel                      critical, recapitulative 0,    CLV 100
 *   recap-a     2 complaints + NPS 5                 0.15 + 0.15 = 0.30,            CLV 100
 *   recap-b     2 unhappy delivery delays + CSAT 2   0.10 + 0.10 + 0.10 = 0.30,     CLV 900
 *   quiet-rich  nothing                                                              CLV 5000
 *   buyer       three purchases a month apart        one-off buyer, CLV 600, P(alive) 0.8 → value if retained 750
 *   quiet-poor  nothing                                                              CLV 50
 *   gone        subscription ended 2026-05-01        win-back candidate, won-back CLV 400
 *   lapsed      bought in January and February 2025  not active (outside the buyers' window of 31 days): not listed
 */
async function warehouse(): Promise<Database> {
  const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-risk-")), "w.duckdb"));
  const c = db.connection;
  for (const s of ["customers", "transactions", "subscriptions", "interactions", "surveys"] as const)
    await run(c, createTableSql(s));
  const subscribers = ["crit-high", "crit-low", "recap-a", "recap-b", "quiet-rich", "quiet-poor"];
  for (const id of [...subscribers, "buyer", "gone", "lapsed"])
    await run(
      c,
      "INSERT INTO customers (customer_id, signup_date, name, segment) VALUES ($id, '2025-01-01', $id, 'SMB')",
      {
        id,
      },
    );
  for (const id of subscribers)
    await run(c, "INSERT INTO subscriptions VALUES ($id, DATE '2025-01-01', NULL, 'Pro', 100)", { id });
  await run(c, "INSERT INTO subscriptions VALUES ('gone', DATE '2025-01-01', DATE '2026-05-01', 'Pro', 100)");
  await run(
    c,
    `INSERT INTO transactions VALUES ('buyer', DATE '2026-04-01', 50, 'a'), ('buyer', DATE '2026-05-01', 50, 'b'),
    ('buyer', DATE '2026-06-01', 50, 'c'), ('lapsed', DATE '2025-01-01', 50, 'd'),
    ('lapsed', DATE '2025-02-01', 50, 'e')`,
  );
  await run(
    c,
    `INSERT INTO interactions VALUES
    ('crit-high', DATE '2026-06-01', 'cancellation_request', 'phone', 'neutral', ''),
    ('crit-high', DATE '2026-05-01', 'complaint', 'email', 'neutral', ''),
    ('crit-high', DATE '2026-06-02', 'complaint', 'email', 'neutral', ''),
    ('crit-low', DATE '2026-06-10', 'cancellation_request', 'phone', 'neutral', ''),
    ('recap-a', DATE '2026-05-01', 'complaint', 'email', 'neutral', ''),
    ('recap-a', DATE '2026-06-01', 'complaint', 'email', 'neutral', ''),
    ('recap-b', DATE '2026-05-05', 'delivery_delay', 'chat', 'unhappy', ''),
    ('recap-b', DATE '2026-06-05', 'delivery_delay', 'chat', 'unhappy', '')`,
  );
  await run(c, "INSERT INTO surveys VALUES ('recap-a', DATE '2026-06-01', 5, 4), ('recap-b', DATE '2026-06-01', 8, 2)");
  await run(
    c,
    `CREATE TABLE customer_value (customer_id VARCHAR, quadrant VARCHAR, tier VARCHAR, clv DOUBLE,
    clv_if_won_back DOUBLE, p_alive DOUBLE)`,
  );
  await run(
    c,
    `INSERT INTO customer_value VALUES
    ('crit-high', 'strangers', 'mid', 500, NULL, 1), ('crit-low', 'strangers', 'low', 100, NULL, 1),
    ('recap-a', 'strangers', 'low', 100, NULL, 1), ('recap-b', 'butterflies', 'mid', 900, NULL, 1),
    ('quiet-rich', 'true friends', 'high', 5000, NULL, 1), ('buyer', 'butterflies', 'mid', 600, NULL, 0.8),
    ('quiet-poor', 'strangers', 'low', 50, NULL, 1), ('gone', NULL, NULL, 0, 400, 0),
    ('lapsed', NULL, NULL, 1, NULL, 0.01)`,
  );
  return db;
}

const ctx = (db: Database) => ({ conn: db.connection, dbPath: db.path, asOf: AS_OF, seed: 1, log: () => {} });

type Scored = {
  customer_id: string;
  risk_rank: number;
  risk_source: string;
  churn_probability: number | null;
  value_if_retained: number | null;
  value_at_risk: number | null;
  health_score: number;
  status: string;
};
const SCORED_SQL = `SELECT customer_id, risk_rank, risk_source, churn_probability, value_if_retained, value_at_risk,
  health_score, status FROM scored_customers ORDER BY risk_rank`;

describe("rules mode: no forest in the warehouse", () => {
  it("ranks critical first, then summed recapitulative weight, then value; no probability is invented", async () => {
    const db = await warehouse();
    try {
      const report = await actionsAnalysis({ useModel: true })(ctx(db));
      expect(report.summary["riskSource"]).toBe("rules");
      const rows = await query<Scored>(db.connection, SCORED_SQL);
      expect(rows.map((r) => r.customer_id)).toEqual([
        "crit-high", // critical, 0.15
        "crit-low", // critical, 0
        "recap-b", // 0.30 (0.1 + 0.1 + 0.1 ties 0.15 + 0.15), value 900
        "recap-a", // 0.30, value 100
        "quiet-rich", // 0, value 5000
        "buyer", // 0, value 600 / 0.8 = 750
        "quiet-poor", // 0, value 50
        "gone", // win-back candidates last
      ]);
      expect(rows.map((r) => r.risk_rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      for (const r of rows) {
        expect(r.risk_source).toBe("rules");
        expect(r.churn_probability).toBeNull();
      }
      for (const r of rows.filter((x) => x.status === "active")) expect(r.value_at_risk).toBeNull();
      const by = Object.fromEntries(rows.map((r) => [r.customer_id, r]));
      // Health from symptoms alone: 100 × Π (1 − w), capped at 30 by a critical symptom.
      expect(by["crit-high"]!.health_score).toBe(30); // 100 × 0.85 = 85, capped
      expect(by["recap-a"]!.health_score).toBe(72); // 100 × 0.85 × 0.85 = 72.25
      expect(by["recap-b"]!.health_score).toBe(73); // 100 × 0.9 × 0.9 × 0.9 = 72.9
      expect(by["quiet-rich"]!.health_score).toBe(100);
      expect(by["buyer"]!.value_if_retained).toBeCloseTo(750, 9);
      const mode = (await readMetaKey(db.connection, "risk_source")) as { source: string; reason: string };
      expect(mode.source).toBe("rules");
      expect(mode.reason).toContain(`no churn model was trained as of ${AS_OF}`);
    } finally {
      db.close();
    }
  });

  it("uses the model trained at the as-of date for the active customers, and rules with --no-model", async () => {
    const db = await warehouse();
    try {
      const c = db.connection;
      await run(c, "CREATE TABLE churn_model (trained_at_as_of VARCHAR, model VARCHAR)");
      await run(c, "INSERT INTO churn_model VALUES ($a, '{}')", { a: AS_OF });
      await run(
        c,
        `CREATE TABLE churn_predictions (customer_id VARCHAR, kind VARCHAR, churn_probability DOUBLE,
        top_drivers VARCHAR, drivers_json VARCHAR)`,
      );
      const p: Record<string, number> = {
        "crit-high": 0.9,
        "crit-low": 0.8,
        "recap-a": 0.3,
        "recap-b": 0.2,
        "quiet-rich": 0.1,
        buyer: 0.25,
        lapsed: 0.99, // scored by the forest but not active by the rule: not listed
      }; // quiet-poor is active but has no prediction: listed by rules after the model's customers
      for (const [id, prob] of Object.entries(p))
        await run(c, "INSERT INTO churn_predictions VALUES ($id, 'x', $p, '', '[]')", { id, p: prob });
      await actionsAnalysis({ useModel: true })(ctx(db));
      const rows = await query<Scored>(c, SCORED_SQL);
      const by = Object.fromEntries(rows.map((r) => [r.customer_id, r]));
      // Value at risk = p × CLV / P(alive), by hand:
      expect(by["quiet-rich"]!.value_at_risk).toBeCloseTo(0.1 * 5000, 9); // subscriber: 500
      expect(by["buyer"]!.value_at_risk).toBeCloseTo(0.25 * (600 / 0.8), 9); // buyer: 187.5, not 0.25 × 600 = 150
      expect(by["recap-b"]!.value_at_risk).toBeCloseTo(0.2 * 900, 9); // 180
      expect(by["crit-high"]!.value_at_risk).toBeCloseTo(0.9 * 500, 9); // 450
      // Ranked by value at risk: 500, 450, 187.5, 180, 80, 30; then quiet-poor (rules); then the win-back candidate.
      expect(rows.map((r) => r.customer_id)).toEqual([
        "quiet-rich",
        "crit-high",
        "buyer",
        "recap-b",
        "crit-low",
        "recap-a",
        "quiet-poor",
        "gone",
      ]);
      expect(rows.map((r) => r.risk_source)).toEqual([...Array(6).fill("model"), "rules", "model"]);
      expect(by["quiet-poor"]!.churn_probability).toBeNull();
      // Health with a model: 100 × (1 − p) × Π (1 − w): recap-a = 100 × 0.7 × 0.85 × 0.85 = 50.575.
      expect(by["recap-a"]!.health_score).toBe(51);
      await actionsAnalysis({ useModel: false })(ctx(db));
      const ruled = await query<Scored>(c, SCORED_SQL);
      expect(ruled.map((r) => r.customer_id).slice(0, 4)).toEqual(["crit-high", "crit-low", "recap-b", "recap-a"]);
      expect(ruled.every((r) => r.risk_source === "rules" && r.churn_probability === null)).toBe(true);
      const mode = (await readMetaKey(c, "risk_source")) as { reason: string };
      expect(mode.reason).toContain("--no-model");
    } finally {
      db.close();
    }
  });
});

describe("value at risk, defined once", () => {
  it("is p × CLV for a subscriber and p × CLV / P(alive) for a buyer", () => {
    // Subscriber: CLV 1,200 (P(alive) = 1, the subscription is seen), p = 0.25 → 300.
    expect(valueAtRisk(0.25, valueIfRetained(1200, 1))).toBeCloseTo(300, 12);
    // Buyer: CLV 600 with P(alive) 0.8 → value if retained 750; p = 0.25 → 187.5.
    expect(valueAtRisk(0.25, valueIfRetained(600, 0.8))).toBeCloseTo(187.5, 12);
    expect(valueAtRisk(null, 750)).toBeNull();
    expect(valueIfRetained(0, 0)).toBe(0);
  });

  it("CLV / P(alive) is a buyer's CLV given alive: BG/NBD's expectation is P(alive) × E[· | alive]", () => {
    // CDNOW parameters (Fader, Hardie & Lee 2005): r 0.243, α 4.414, a 0.793, b 2.426; a buyer with x = 2, t_x = 30.43,
    // T = 38.86 weeks. E[Y(t) | alive] = (a + b + x − 1)/(a − 1) × [1 − ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x−1;
    // t/(α+T+t))], so the ratio E[Y(t) | x, t_x, T] / P(alive) must not depend on t_x once T is fixed.
    const bg = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const o = { steps: 12, periodsPerStep: 30.4375 / 7, discountPerStep: 0.01, margin: 1 };
    const alive = (tx: number) => buyerClv(bg, 40, 2, tx, 38.86, o) / probabilityAlive(bg, 2, tx, 38.86);
    expect(probabilityAlive(bg, 2, 10, 38.86)).toBeLessThan(probabilityAlive(bg, 2, 30.43, 38.86));
    expect(alive(10)).toBeCloseTo(alive(30.43), 6);
    expect(alive(38)).toBeCloseTo(alive(30.43), 6);
    const e = (tx: number) => conditionalExpectedPurchases(bg, 52, 2, tx, 38.86) / probabilityAlive(bg, 2, tx, 38.86);
    expect(e(5)).toBeCloseTo(e(35), 9);
  });
});

describe("rules ranking, pure", () => {
  const row = (customerId: string, o: Partial<RankInput> = {}): RankInput => ({
    customerId,
    churned: false,
    value: 0,
    valueAtRisk: null,
    critical: false,
    recapitulativeWeights: [],
    source: "rules",
    ...o,
  });
  it("orders by critical, then summed weight, then value, then id; churned last by win-back value", () => {
    const rows = [
      row("e", { value: 10 }),
      row("d", { recapitulativeWeights: [0.1, 0.2], value: 5 }),
      row("c", { recapitulativeWeights: [0.3], value: 5 }),
      row("b", { critical: true, value: 1 }),
      row("z", { churned: true, value: 999 }),
      row("y", { churned: true, value: 1000 }),
      row("a", { critical: true, recapitulativeWeights: [0.1], value: 0 }),
    ];
    // a (critical, 0.1), b (critical, 0), c and d tie at 0.3 with value 5 → by id, e, then y, z by win-back value.
    const ranks = rankCustomers(rows);
    expect(rows.map((r, i) => [r.customerId, ranks[i]])).toEqual([
      ["e", 5],
      ["d", 4],
      ["c", 3],
      ["b", 2],
      ["z", 7],
      ["y", 6],
      ["a", 1],
    ]);
  });
  it("puts the model's customers first, by value at risk, then those it did not score, by rules", () => {
    const rows = [
      row("r", { critical: true, value: 1e6 }),
      row("m1", { source: "model", valueAtRisk: 10, value: 100 }),
      row("m2", { source: "model", valueAtRisk: 20, value: 50 }),
      row("m3", { source: "model", valueAtRisk: 20, value: 60 }),
    ];
    // m3 and m2 tie at 20 at risk: the larger value first; m1 (10); then r, however critical.
    expect(rankCustomers(rows)).toEqual([4, 3, 2, 1]);
  });
  it("health without a model is 100 × Π (1 − w), capped by a critical symptom", () => {
    expect(healthScore(null, [], false, rules.health)).toBe(100);
    expect(healthScore(null, [0.15, 0.1], false, rules.health)).toBe(77); // 100 × 0.85 × 0.9 = 76.5, rounded half up
    expect(healthScore(null, [], true, rules.health)).toBe(30);
    expect(healthScore(0.5, [], false, rules.health)).toBe(50);
  });
});
