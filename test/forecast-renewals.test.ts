/**
 * The renewal model of buyers who pay at a regular cycle (models/forecast/renewals.ts, shifted-beta-geometric):
 * - the maximum-likelihood fit reproduces Fader & Hardie (2007), "How to Project Customer Retention", J. Interactive
 *   Marketing 21(1), whose two cohorts of 1,000 customers (survivors at years 0–7: "regular" 1000, 631, 468, 382,
 *   326, 289, 262, 241; "high end" 1000, 869, 743, 653, 593, 551, 517, 491) give α̂ = 0.704, β̂ = 1.182 and
 *   α̂ = 0.668, β̂ = 3.806;
 * - the left-truncated fit (customers seen only once they made 4 renewals) recovers the parameters of a seeded
 *   population it never saw the start of;
 * - which renewals a customer must make to be active at a month's end, by hand.
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../loaders/random.ts";
import {
  fitRenewals,
  type RenewalHistory,
  renewalSurvival,
  renewalsNeeded,
  renewalsWithoutLosses,
  logRenewalSurvival,
} from "../models/forecast/renewals.ts";

/** A cohort's survivors by period → renewal histories: lost at each renewal, the last count still running. */
function histories(survivors: number[]): RenewalHistory[] {
  const out = survivors.slice(0, -1).map((n, t) => ({ renewed: t, lost: n - survivors[t + 1]!, running: 0 }));
  out.push({ renewed: survivors.length - 1, lost: 0, running: survivors.at(-1)! });
  return out;
}

describe("shifted-beta-geometric renewals", () => {
  it("reproduces Fader & Hardie (2007): regular α = 0.704, β = 1.182; high end α = 0.668, β = 3.806", () => {
    const regular = fitRenewals(histories([1000, 631, 468, 382, 326, 289, 262, 241]));
    expect(regular.params.alpha).toBeCloseTo(0.704, 3);
    expect(regular.params.beta).toBeCloseTo(1.182, 3);
    const highEnd = fitRenewals(histories([1000, 869, 743, 653, 593, 551, 517, 491]));
    expect(highEnd.params.alpha).toBeCloseTo(0.668, 3);
    expect(highEnd.params.beta).toBeCloseTo(3.806, 3);
    expect(regular.logCholesky).not.toBeNull();
  });

  it("S(t) and the conditional survival agree: P(survive j more | t) = S(t + j) / S(t)", () => {
    const p = { alpha: 0.704, beta: 1.182 };
    // S(1) = β / (α + β), the first renewal's retention.
    expect(Math.exp(logRenewalSurvival(p, 1))).toBeCloseTo(1.182 / 1.886, 12);
    const ratio = Math.exp(logRenewalSurvival(p, 7) - logRenewalSurvival(p, 3));
    expect(renewalSurvival(p, 3, 4)).toBeCloseTo(ratio, 12);
    expect(renewalSurvival(p, 3, 0)).toBe(1);
  });

  it("recovers a seeded population's α and β from customers seen only after their 4th renewal", () => {
    const rng = createRandom(2007);
    const truth = { alpha: 0.8, beta: 20 };
    const byRenewals = new Map<number, RenewalHistory>();
    for (let i = 0; i < 40_000; i++) {
      const theta = rng.beta(truth.alpha, truth.beta);
      const horizon = 4 + rng.int(40); // customers joined at different times: censored after 4–43 renewals
      let t = 0;
      while (t < horizon && rng.next() >= theta) t++;
      if (t < 4) continue; // lost before the 4th renewal: never seen as regular
      const h = byRenewals.get(t) ?? { renewed: t, lost: 0, running: 0 };
      if (t < horizon) h.lost++;
      else h.running++;
      byRenewals.set(t, h);
    }
    const fit = fitRenewals([...byRenewals.values()], 4);
    expect(fit.params.alpha).toBeGreaterThan(0.6);
    expect(fit.params.alpha).toBeLessThan(1.05);
    // The mean churn per renewal α / (α + β) = 3.85%; the fit's within a tenth of it.
    const mean = fit.params.alpha / (fit.params.alpha + fit.params.beta);
    expect(Math.abs(mean / (0.8 / 20.8) - 1)).toBeLessThan(0.1);
    // Ignoring the truncation (as if the customers were seen from their start) overstates retention.
    const naive = fitRenewals([...byRenewals.values()], 0);
    expect(naive.params.alpha / (naive.params.alpha + naive.params.beta)).toBeLessThan(mean / 1.5);
  });

  it("with no customer lost yet, takes Jeffreys' Beta(½, R + ½) for the R renewals seen after the truncation", () => {
    // 10 customers with 6 renewals and 5 with 4, seen from their 4th: 10 × 2 + 5 × 0 = 20 renewals, none lost.
    const model = renewalsWithoutLosses(
      [
        { renewed: 4, lost: 0, running: 5 },
        { renewed: 6, lost: 0, running: 10 },
      ],
      4,
    );
    expect(model).toEqual({ params: { alpha: 0.5, beta: 20.5 }, logCholesky: null, customers: 15, churned: 0 });
    // The first renewal to come is lost with probability α / (α + β + t): 0.5 / 27 for a customer with 6.
    expect(1 - renewalSurvival(model.params, 6, 1)).toBeCloseTo(0.5 / 27, 12);
  });

  it("names the renewals needed to be active at a month's end (a purchase in the W days up to it)", () => {
    // Monthly (30 days), last purchase 10 days ago, W = 35: active at h = 20 without renewing (10 + 20 < 35).
    expect(renewalsNeeded(30, 10, 20, 35)).toBe(0);
    // At h = 60: renewals due at days 20 and 50; the one at 50 is within 35 days of day 60, so 2 renewals.
    expect(renewalsNeeded(30, 10, 60, 35)).toBe(2);
    // Overdue (last purchase 40 days ago): the next renewal is due now, then every 30 days: at h = 45, days 0 and
    // 30 are due, and 30 > 45 − 35, so 2.
    expect(renewalsNeeded(30, 40, 45, 35)).toBe(2);
    // Quarterly (91 days), last purchase 70 days ago, W = 35: the renewal due at day 21 makes them active at h = 40
    // (21 > 40 − 35), but at h = 60 it is older than W and the next is due at day 112: inactive whatever happens.
    expect(renewalsNeeded(91, 70, 40, 35)).toBe(1);
    expect(renewalsNeeded(91, 70, 60, 35)).toBe(-1);
  });
});
