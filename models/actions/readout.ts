/**
 * Campaign readout: did the treated group churn less than the control group?
 * Churn rates p_c (control) and p_t (treatment); effect = p_c − p_t (churn avoided per treated customer).
 *   Two-proportion z-test with the pooled rate p̄: z = (p_c − p_t) / √(p̄(1 − p̄)(1/n_c + 1/n_t)), two-sided p-value;
 *   z² equals the chi-square of R's prop.test(correct = FALSE). 95% intervals for the effect: Wald
 *   (p_c − p_t ± 1.96 √(p_c(1−p_c)/n_c + p_t(1−p_t)/n_t)) and Newcombe's hybrid score interval (method 10 of
 *   Newcombe 1998, from the two Wilson intervals), which behaves better for small groups and rates near 0 or 1.
 *   Value saved = effect × treated customers × mean CLV of the treated; return = value saved − cost per treated × n_t.
 */
import { normalCdf, normalQuantile } from "../math/distributions.ts";

export interface GroupCounts {
  n: number;
  churned: number;
}

export interface Readout {
  control: GroupCounts & { rate: number };
  treatment: GroupCounts & { rate: number };
  effect: number;
  wald: [number, number];
  newcombe: [number, number];
  z: number;
  chisq: number;
  p: number;
}

function wilson(x: number, n: number, z: number): [number, number] {
  const p = x / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [centre - half, centre + half];
}

export function twoProportionReadout(control: GroupCounts, treatment: GroupCounts, confidence = 0.95): Readout {
  if (control.n === 0 || treatment.n === 0) throw new RangeError("both groups need customers");
  const z975 = normalQuantile(1 - (1 - confidence) / 2);
  const pc = control.churned / control.n;
  const pt = treatment.churned / treatment.n;
  const effect = pc - pt;
  const pooled = (control.churned + treatment.churned) / (control.n + treatment.n);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  const z = sePooled > 0 ? effect / sePooled : 0;
  const se = Math.sqrt((pc * (1 - pc)) / control.n + (pt * (1 - pt)) / treatment.n);
  const [lc, uc] = wilson(control.churned, control.n, z975);
  const [lt, ut] = wilson(treatment.churned, treatment.n, z975);
  return {
    control: { ...control, rate: pc },
    treatment: { ...treatment, rate: pt },
    effect,
    wald: [effect - z975 * se, effect + z975 * se],
    newcombe: [
      effect - Math.sqrt((pc - lc) ** 2 + (ut - pt) ** 2),
      effect + Math.sqrt((uc - pc) ** 2 + (pt - lt) ** 2),
    ],
    z,
    chisq: z * z,
    p: 2 * (1 - normalCdf(Math.abs(z))),
  };
}

/** Churn of each assignment within the horizon after its date, as in the churn model's label; only customers active
 * on their assignment date (same population as the model) can churn. */
export const ASSIGNMENT_OUTCOMES_SQL = `
  SELECT a.campaign, a.grp, a.customer_id,
    CASE WHEN EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = a.customer_id AND s.start_date <= a.date)
         THEN NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = a.customer_id AND s.start_date <= a.date + $h AND (s.end_date IS NULL OR s.end_date > a.date + $h))
         ELSE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.customer_id = a.customer_id AND t.date > a.date AND t.date <= a.date + $h AND t.amount > 0)
    END AS churned,
    a.date + $h <= $as_of AS complete,
    CASE WHEN EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = a.customer_id AND s.start_date <= a.date)
         THEN EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = a.customer_id AND s.start_date <= a.date AND (s.end_date IS NULL OR s.end_date > a.date))
         ELSE EXISTS (SELECT 1 FROM transactions t WHERE t.customer_id = a.customer_id AND t.date <= a.date AND t.date > a.date - 365 AND t.amount > 0)
    END AS active_at_start,
    coalesce(v.clv, 0) AS clv
  FROM assignments a LEFT JOIN customer_value v USING (customer_id)`;
