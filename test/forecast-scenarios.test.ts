/**
 * Which customers a what-if scenario picks (models/forecast/scenarios.ts), on a hand-made warehouse whose answer can
 * be read off the rows: each customer's factor is 1 + churnChange exactly when every condition of `where` holds.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, run, type Database } from "../loaders/db.ts";
import { scenarioInputs } from "../models/forecast/scenarios.ts";
import type { Scenario } from "../models/forecast/rules.ts";

let db: Database;

beforeAll(async () => {
  db = await openDatabase(":memory:");
  await run(
    db.connection,
    `CREATE TABLE customers AS SELECT * FROM (VALUES
       ('a', 'smb', 'north', 'ads'), ('b', 'smb', 'south', 'ads'), ('c', 'enterprise', 'north', NULL),
       ('d', 'smb', 'north', 'referral'), ('e', NULL, NULL, NULL))
     t(customer_id, segment, region, acquisition_channel)`,
  );
  await run(
    db.connection,
    `CREATE TABLE customer_value AS SELECT * FROM (VALUES
       ('a', 'true friends', 'high'), ('b', 'strangers', 'low'), ('c', 'true friends', 'mid'), ('d', NULL, NULL))
     t(customer_id, quadrant, tier)`,
  );
  await run(
    db.connection,
    `CREATE TABLE scored_customers AS SELECT * FROM (VALUES
       ('a', 'active', 'red'), ('b', 'active', 'green'), ('c', 'churned (win-back candidate)', 'red'),
       ('d', 'active', 'red'))
     t(customer_id, status, health_band)`,
  );
});
afterAll(() => db.close());

const scenario = (name: string, where: Scenario["where"], churnChange = -0.5): Scenario => ({
  name,
  where,
  churnChange,
  newCustomersChange: 0,
});

describe("what-if scenarios pick customers by what the warehouse knows", () => {
  it("gives 1 + churnChange to exactly the customers meeting every condition, of the scenario's kind", async () => {
    const { scenarios, notes } = await scenarioInputs(
      db.connection,
      [
        scenario("everyone", {}),
        scenario("red", { healthBand: "red" }),
        scenario("red smb in the north", { healthBand: "red", segment: "smb", region: "north" }),
        scenario("true friends, buyers only", { quadrant: "true friends", kind: "buyer" }),
        scenario("referral", { acquisitionChannel: "referral" }),
        scenario("unknown segment", { segment: "nobody" }),
        scenario("no change", { tier: "high" }, 0),
      ],
      ["a", "b", "c"],
      ["c", "d", "e"],
    );
    expect(notes).toEqual([]);
    const by = Object.fromEntries(
      scenarios.map((s) => [
        s.name,
        [s.subscriberFactor && Array.from(s.subscriberFactor), s.buyerFactor && Array.from(s.buyerFactor)],
      ]),
    );
    // [subscribers a, b, c], [buyers c, d, e]. c is red only as a win-back candidate, not as an active customer; e
    // has no score at all.
    expect(by).toEqual({
      everyone: [
        [0.5, 0.5, 0.5],
        [0.5, 0.5, 0.5],
      ],
      red: [
        [0.5, 1, 1],
        [1, 0.5, 1],
      ],
      "red smb in the north": [
        [0.5, 1, 1],
        [1, 0.5, 1],
      ],
      "true friends, buyers only": [
        [1, 1, 1],
        [0.5, 1, 1],
      ],
      referral: [
        [1, 1, 1],
        [1, 0.5, 1],
      ],
      "unknown segment": [
        [1, 1, 1],
        [1, 1, 1],
      ],
      "no change": [null, null],
    });
  });

  it("leaves out a scenario that needs a table the warehouse lacks, with a note", async () => {
    await run(db.connection, "ALTER TABLE scored_customers RENAME TO scored_later");
    try {
      const { scenarios, notes } = await scenarioInputs(
        db.connection,
        [scenario("red", { healthBand: "red" }), scenario("smb", { segment: "smb" })],
        ["a", "b"],
        [],
      );
      expect(scenarios.map((s) => s.name)).toEqual(["smb"]);
      expect(Array.from(scenarios[0]!.subscriberFactor!)).toEqual([0.5, 0.5]);
      expect(notes).toEqual(['scenario "red" left out: it needs scored_customers, which this warehouse does not have']);
    } finally {
      await run(db.connection, "ALTER TABLE scored_later RENAME TO scored_customers");
    }
  });
});
