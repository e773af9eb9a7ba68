/**
 * Forecast of active customers, MRR and churned customers for the coming months, per scenario.
 * Each scored customer i churns in a month with hazard h_i = 1 − (1 − p_i)^(30.4375 / H) from the forest's
 * probability p_i over H days, so after m months they are still active with s_i(m) = (1 − h_i)^m.
 * New customers arrive at the mean monthly rate of the last 6 months (monthly_metrics) and churn at the mean hazard.
 *   E[active(m)] = Σ s_i(m) + Σ_{j<m} new · s̄(m − j);  Var = Σ s_i(1 − s_i) (Poisson-binomial) + new-arrival variance.
 * 90% intervals: mean ± 1.645 √Var (normal approximation). MRR scales each survivor's MRR the same way.
 * Scenarios change hazards: "save team halves churn among red customers" halves h_i for customers in the red band.
 */
import { mean } from "simple-statistics";

export interface ForecastCustomer {
  p: number;
  mrr: number;
  band: string;
}

export interface ForecastPoint {
  scenario: string;
  month: number;
  customers: number;
  lower: number;
  upper: number;
  mrr: number;
  churned: number;
}

export const SCENARIOS: Record<string, (c: ForecastCustomer, h: number) => number> = {
  baseline: (_c, h) => h,
  "save team halves churn among red customers": (c, h) => (c.band === "red" ? h / 2 : h),
  "no new customers": (_c, h) => h,
};

export function forecast(
  customers: ForecastCustomer[],
  horizonDays: number,
  months: number,
  newPerMonth: number,
  newMrr: number,
): ForecastPoint[] {
  const out: ForecastPoint[] = [];
  const z = 1.6448536269514722;
  for (const [scenario, adjust] of Object.entries(SCENARIOS)) {
    const hazards = customers.map((c) =>
      adjust(c, 1 - (1 - Math.min(0.999999, Math.max(0, c.p))) ** (30.4375 / horizonDays)),
    );
    const meanHazard = hazards.length ? mean(hazards) : 0;
    const arrivals = scenario === "no new customers" ? 0 : newPerMonth;
    let previous = customers.length;
    for (let m = 1; m <= months; m++) {
      let mean = 0,
        variance = 0,
        mrr = 0;
      hazards.forEach((h, i) => {
        const s = (1 - h) ** m;
        mean += s;
        variance += s * (1 - s);
        mrr += s * customers[i]!.mrr;
      });
      for (let j = 1; j <= m; j++) {
        const s = (1 - meanHazard) ** (m - j);
        mean += arrivals * s;
        variance += arrivals * s; // Poisson arrivals thinned by survival
        mrr += arrivals * s * newMrr;
      }
      const sd = Math.sqrt(variance);
      out.push({
        scenario,
        month: m,
        customers: mean,
        lower: Math.max(0, mean - z * sd),
        upper: mean + z * sd,
        mrr,
        churned: Math.max(0, previous + arrivals - mean),
      });
      previous = mean;
    }
  }
  return out;
}
