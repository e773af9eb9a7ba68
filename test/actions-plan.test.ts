/**
 * The proactive plan: cadence dates, the touch chosen, the channel chosen, the rules file's validation and the facts
 * read from a constructed warehouse, each computed by hand (as of 2026-06-30, data/rules/plan.json as shipped:
 * welcome within 30 days, 7 days after the first day; high monthly, mid quarterly, low every 6 months by e-mail).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addDays, addMonths } from "../loaders/dates.ts";
import { openDatabase, run } from "../loaders/db.ts";
import { createRandom } from "../loaders/random.ts";
import { createTableSql } from "../loaders/schema.ts";
import {
  chooseChannel,
  hasOpenReactiveAction,
  nextCadenceDate,
  nextTouch,
  type PlanInput,
  planFacts,
} from "../models/actions/plan.ts";
import { loadPlanRules } from "../models/actions/plan-rules.ts";
import { planMonth } from "../models/actions/plan-summary.ts";

const AS_OF = "2026-06-30";
const plan = loadPlanRules();
const base: PlanInput = {
  start: "2025-01-15",
  tier: "high",
  quadrant: "strangers",
  segment: "SMB",
  usualChannel: "chat",
  lastSurvey: "2026-06-01",
};

describe("cadence dates", () => {
  it("is the first start + k × months (k ≥ 1) after the as-of date, clamped to the month's end", () => {
    // 2025-01-15 + 18 months = 2026-07-15 (k = 6 quarters; k = 5 gives 2026-04-15, not after the as-of date).
    expect(nextCadenceDate("2025-01-15", AS_OF, 3)).toBe("2026-07-15");
    // 2025-01-31 + 17 months = 2026-06-30 (clamped), which is the as-of date itself, so k = 18: 2026-07-31.
    expect(nextCadenceDate("2025-01-31", AS_OF, 1)).toBe("2026-07-31");
    // 2026-03-30 + 3 months = 2026-06-30 = as-of: next one is 2026-09-30.
    expect(nextCadenceDate("2026-03-30", AS_OF, 3)).toBe("2026-09-30");
    // Six-monthly from 2026-03-10: 2026-09-10.
    expect(nextCadenceDate("2026-03-10", AS_OF, 6)).toBe("2026-09-10");
    // Started years ago: 2019-12-31 monthly → 2026-07-31.
    expect(nextCadenceDate("2019-12-31", AS_OF, 1)).toBe("2026-07-31");
    // Started yesterday: at least one period after the start.
    expect(nextCadenceDate("2026-06-29", AS_OF, 1)).toBe("2026-07-29");
  });

  it("equals stepping with addMonths (Date arithmetic) on 20,000 random starts, as-of dates and cadences", () => {
    // The reference: the definition itself, one addMonths per step from k = 1.
    const reference = (start: string, asOf: string, months: number) => {
      let k = 1;
      while (addMonths(start, k * months) <= asOf) k++;
      return addMonths(start, k * months);
    };
    const rng = createRandom(5);
    const day = (n: number) => addDays("1999-01-01", n);
    for (let i = 0; i < 20_000; i++) {
      const start = day(rng.int(11_000)); // 1999 … 2029: leap days, month ends, century rule of 2000
      const asOf = addDays(start, rng.int(i % 2 ? 4_000 : 400));
      const months = [1, 2, 3, 6, 12][rng.int(5)]!;
      expect(nextCadenceDate(start, asOf, months), `${start} ${asOf} ${months}`).toBe(reference(start, asOf, months));
    }
    // The Gregorian century rule: 2000 has a 29 February, 2100 does not.
    expect(nextCadenceDate("1999-11-30", "2000-01-15", 3)).toBe("2000-02-29");
    expect(nextCadenceDate("2099-11-30", "2100-01-15", 3)).toBe("2100-02-28");
  });
});

describe("the next touch", () => {
  it("welcomes customers in their first 30 days, 7 days after the first day and never before tomorrow", () => {
    // First day 2026-06-25 (5 days ago): 2026-06-25 + 7 = 2026-07-02, after tomorrow (2026-07-01).
    expect(nextTouch({ ...base, start: "2026-06-25" }, AS_OF, plan)).toEqual({
      touch: "welcome call",
      date: "2026-07-02",
      channel: "phone", // the welcome's fixed channel
      team: "onboarding",
    });
    // First day 2026-06-10: + 7 = 2026-06-17 is past, so tomorrow.
    expect(nextTouch({ ...base, start: "2026-06-10" }, AS_OF, plan).date).toBe("2026-07-01");
    // First day 2026-05-31 is 30 days ago: no longer in the first 30 days (days 0–29).
    expect(nextTouch({ ...base, start: "2026-05-31" }, AS_OF, plan).touch).not.toBe("welcome call");
  });

  it("picks the first touch that applies: interview, anniversary loyalty offer, status call", () => {
    // Last survey 2026-01-01 is 180 days before the as-of date: the interview is due (≥ 180).
    expect(nextTouch({ ...base, lastSurvey: "2026-01-01" }, AS_OF, plan).touch).toBe("satisfaction interview");
    expect(nextTouch({ ...base, lastSurvey: "2026-01-02" }, AS_OF, plan).touch).toBe("status call"); // 179 days
    expect(nextTouch({ ...base, lastSurvey: null }, AS_OF, plan).touch).toBe("satisfaction interview");
    // True friends get the loyalty offer on their anniversary: the touch in the month of their first day.
    const friend = { ...base, quadrant: "true friends" };
    expect(nextTouch({ ...friend, start: "2025-07-10" }, AS_OF, plan)).toMatchObject({
      touch: "loyalty offer",
      date: "2026-07-10", // monthly from 2025-07-10: the first after 2026-06-30, in July as the first day was
    });
    expect(nextTouch(friend, AS_OF, plan)).toMatchObject({ touch: "status call", date: "2026-07-15" }); // January
    // Quarterly from 2023-07-20: 2026-07-20 (36 months), an anniversary; from 2024-10-05: 2026-07-05, not one.
    expect(nextTouch({ ...friend, tier: "mid", start: "2023-07-20" }, AS_OF, plan).touch).toBe("loyalty offer");
    expect(nextTouch({ ...friend, tier: "mid", start: "2024-10-05" }, AS_OF, plan).touch).toBe("status call");
    // The interview comes first even for true friends.
    expect(nextTouch({ ...friend, start: "2025-07-10", lastSurvey: null }, AS_OF, plan).touch).toBe(
      "satisfaction interview",
    );
  });

  it("sets the date, team and channel by value tier", () => {
    // High: monthly from 2025-01-15 → 2026-07-15, the customer's own channel (chat), account managers.
    expect(nextTouch(base, AS_OF, plan)).toEqual({
      touch: "status call",
      date: "2026-07-15",
      channel: "chat",
      team: "account managers",
    });
    // Mid: quarterly → 2026-07-15 too (18 months); customer success.
    expect(nextTouch({ ...base, tier: "mid", start: "2025-02-20" }, AS_OF, plan)).toMatchObject({
      date: "2026-08-20", // 2025-02-20 + 18 months
      team: "customer success",
    });
    // Low: every 6 months, by e-mail whatever the customer's own channel; marketing. No tier → low.
    for (const tier of ["low", null] as const)
      expect(nextTouch({ ...base, tier, start: "2025-02-20" }, AS_OF, plan)).toMatchObject({
        date: "2026-08-20", // 2025-02-20 + 18 months (3 × 6)
        channel: "email",
        team: "marketing",
      });
  });

  it("chooses the channel: fixed, else most used, else the segment's default, else the default", () => {
    const rules = { ...plan, channels: { bySegment: { Enterprise: "phone" }, default: "letter" } };
    expect(chooseChannel(base, "email", rules)).toBe("email");
    expect(chooseChannel(base, undefined, rules)).toBe("chat");
    expect(chooseChannel({ ...base, usualChannel: null, segment: "Enterprise" }, undefined, rules)).toBe("phone");
    expect(chooseChannel({ ...base, usualChannel: null, segment: "SMB" }, undefined, rules)).toBe("letter");
    expect(chooseChannel({ ...base, usualChannel: null, segment: null }, undefined, rules)).toBe("letter");
  });

  it("leaves out customers with an open reactive action", () => {
    expect(hasOpenReactiveAction(null, "green", "no action (healthy)", 0.25)).toBe(false);
    expect(hasOpenReactiveAction(null, "yellow", "proactive call", 0.25)).toBe(true);
    expect(hasOpenReactiveAction(null, "red", "let go", 0.25)).toBe(false); // let go: no task, the plan keeps them
    expect(hasOpenReactiveAction(0.3, "green", "loyalty reward", 0.25)).toBe(true);
    expect(hasOpenReactiveAction(0.2, "green", "loyalty reward", 0.25)).toBe(false);
  });

  it("leads the plan page with the month of the day after the as-of date", () => {
    expect(planMonth("2026-06-30")).toBe("2026-07");
    expect(planMonth("2026-06-15")).toBe("2026-06");
  });
});

describe("facts from the warehouse", () => {
  it("reads the first day, the most-used channel (ties: most recent) and the last survey", async () => {
    const db = await openDatabase(join(mkdtempSync(join(tmpdir(), "churn-plan-")), "w.duckdb"));
    const c = db.connection;
    try {
      for (const s of ["customers", "transactions", "subscriptions", "interactions", "surveys"] as const)
        await run(c, createTableSql(s));
      await run(
        c,
        `INSERT INTO customers (customer_id, signup_date) VALUES ('a', DATE '2025-03-01'),
        ('b', DATE '2025-05-01'), ('c', DATE '2026-07-05')`,
      );
      await run(c, "INSERT INTO subscriptions VALUES ('b', DATE '2025-04-10', NULL, 'Pro', 10)");
      await run(c, "INSERT INTO transactions VALUES ('c', DATE '2026-06-20', 10, 'x')");
      await run(
        c,
        `INSERT INTO interactions VALUES
        ('a', DATE '2026-01-01', 'support_call', 'Phone ', 'neutral', ''),
        ('a', DATE '2026-02-01', 'support_call', 'phone', 'neutral', ''),
        ('a', DATE '2026-03-01', 'support_call', 'email', 'neutral', ''),
        ('b', DATE '2026-01-01', 'support_call', 'phone', 'neutral', ''),
        ('b', DATE '2026-03-01', 'support_call', 'chat', 'neutral', ''),
        ('b', DATE '2026-07-15', 'support_call', 'email', 'neutral', ''),
        ('c', DATE '2026-06-21', 'support_call', '', 'neutral', '')`,
      );
      await run(c, "INSERT INTO surveys VALUES ('a', DATE '2026-02-01', 9, 5), ('a', DATE '2026-04-01', 8, 4)");
      await run(c, "CREATE TEMP TABLE candidates AS SELECT * FROM (VALUES ('a'), ('b'), ('c')) t(customer_id)");
      const facts = await planFacts(c, AS_OF);
      // a: phone twice ("Phone " trimmed and lower-cased) beats e-mail once; first day = signup; last survey 04-01.
      expect(facts.get("a")).toEqual({ start: "2025-03-01", usualChannel: "phone", lastSurvey: "2026-04-01" });
      // b: phone and chat once each before the as-of date (the e-mail is after it): chat is more recent.
      // First day: the subscription (2025-04-10) started before the signup date (2025-05-01).
      expect(facts.get("b")).toEqual({ start: "2025-04-10", usualChannel: "chat", lastSurvey: null });
      // c: signed up after the as-of date, first purchase 2026-06-20; a blank channel is no channel.
      expect(facts.get("c")).toEqual({ start: "2026-06-20", usualChannel: null, lastSurvey: null });
    } finally {
      db.close();
    }
  });
});

describe("the plan rules file", () => {
  const write = (json: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), "churn-plan-rules-")), "plan.json");
    writeFileSync(file, JSON.stringify(json));
    return file;
  };
  it("names the bad key", () => {
    const bad = { ...plan, cadence: { ...plan.cadence, high: { ...plan.cadence.high, everyMonths: 0 } } };
    expect(() => loadPlanRules(write(bad))).toThrow(/cadence\.high\.everyMonths/);
    const noFallback = { ...plan, touches: [{ touch: "status call", tiers: ["high"] }] };
    expect(() => loadPlanRules(write(noFallback))).toThrow(/last touch must have no condition/);
    expect(() => loadPlanRules(write({ ...plan, extra: 1 }))).toThrow(/extra/);
    expect(loadPlanRules(write(plan))).toEqual(plan);
  });
});
