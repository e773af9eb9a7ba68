/**
 * Value at risk and the order of the at-risk list, in one place for `churn score`, `churn build` and the site.
 *
 * Value if retained V: what the customer would bring over the CLV horizon given that they are still a customer today.
 *   Buyers (BG/NBD + Gamma-Gamma): V = CLV / P(alive). BG/NBD's conditional expected purchases are
 *   P(alive | x, t_x, T) × E[purchases | alive, x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10 and the appendix), so
 *   the buyer's CLV already discounts the chance that they have left; dividing it out leaves the value of a buyer
 *   known to be alive. Subscribers: their subscription is observed, P(alive) = 1, so V = CLV (the Kaplan-Meier value
 *   given the tenure reached).
 * Value at risk = p × V, with p the churn model's probability that the customer churns within the horizon: the value
 *   that is lost with probability p. Dropout is counted once (p), not twice (p × P(alive)-discounted CLV).
 *   With no model (rules mode) there is no p, so there is no value at risk: it stays empty, never invented.
 *
 * Order of the list: active customers first, then recently churned customers by their win-back value. Among the
 * active, customers the model scored (source model) come before any it did not (source rules), and
 *   model: value at risk, highest first;
 *   rules: customers with a critical symptom first, then the summed weight of their recapitulative symptoms,
 *   then V, highest first. Ties: customer id.
 */
export type RiskSource = "model" | "rules";

/** V = CLV / P(alive); 0 when P(alive) is 0 or unknown-and-CLV is 0. Subscribers carry P(alive) = 1. */
export function valueIfRetained(clv: number, pAlive: number | null): number {
  const p = pAlive ?? 1;
  if (!(p > 0) || !(clv > 0)) return 0;
  return clv / Math.min(1, p);
}

/** p × V in model mode; null when there is no churn probability (rules mode). */
export function valueAtRisk(churnProbability: number | null, valueRetained: number): number | null {
  return churnProbability === null ? null : churnProbability * valueRetained;
}

export interface RankInput {
  customerId: string;
  source: RiskSource;
  churned: boolean;
  /** Win-back value for churned customers; V for active ones. */
  value: number;
  valueAtRisk: number | null;
  critical: boolean;
  /** Weights of the recapitulative symptoms that fired. */
  recapitulativeWeights: number[];
}

/**
 * 1-based rank of each input (same order as given): 1 is the first customer to act on, in the order the header states.
 * The sort keys are computed once per customer and compared from typed arrays: at a million customers, comparing the
 * inputs' fields and summing their weights in every comparison took two seconds.
 */
export function rankCustomers(rows: RankInput[]): number[] {
  const n = rows.length;
  // group: 0 active and scored by the model, 1 active by rules, 2 churned; first: value at risk (model), 1 for a
  // critical symptom (rules), else 0; weight: the summed recapitulative weights (rules).
  const group = new Uint8Array(n);
  const first = new Float64Array(n);
  const weight = new Float64Array(n);
  const value = new Float64Array(n);
  rows.forEach((r, i) => {
    group[i] = r.churned ? 2 : r.source === "model" ? 0 : 1;
    first[i] = r.churned ? 0 : r.source === "model" ? (r.valueAtRisk ?? 0) : r.critical ? 1 : 0;
    weight[i] = r.recapitulativeWeights.reduce((a, b) => a + b, 0);
    value[i] = r.value;
  });
  const byId = (i: number, j: number) => {
    const a = rows[i]!.customerId;
    const b = rows[j]!.customerId;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => {
    const g = group[i]! - group[j]!;
    if (g !== 0) return g;
    // Weights are rounded to 1e-9 so that 0.1 + 0.2 and 0.3 tie as a person would expect.
    const w = group[i] === 1 ? Math.round((weight[j]! - weight[i]!) * 1e9) : 0;
    return first[j]! - first[i]! || w || value[j]! - value[i]! || byId(i, j);
  });
  const ranks = new Array<number>(n);
  order.forEach((i, k) => {
    ranks[i] = k + 1;
  });
  return ranks;
}
