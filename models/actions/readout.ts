/**
 * Campaign readout: did the treated group churn less than the control group?
 * Churn rates p_c (control) and p_t (treatment); effect = p_c − p_t (churn avoided per treated customer).
 *   Two-proportion z-test with the pooled rate p̄: z = (p_c − p_t) / √(p̄(1 − p̄)(1/n_c + 1/n_t)), two-sided p-value;
 *   z² equals the chi-square of R's prop.test(correct = FALSE). 95% intervals for the effect: Wald
 *   (p_c − p_t ± 1.96 √(p_c(1−p_c)/n_c + p_t(1−p_t)/n_t)) and Newcombe's hybrid score interval (method 10 of
 *   Newcombe 1998, from the two Wilson intervals), which behaves better for small groups and rates near 0 or 1.
 *   Value saved = effect × treated customers × mean CLV of the treated; return = value saved − cost per treated × n_t;
 *   retention ROI = return ÷ cost (null when the campaign cost nothing).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { addDays } from "../../loaders/dates.ts";
import { query } from "../../loaders/db.ts";
import { activeCustomers } from "../cohorts/active.ts";
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

/** One assignment of a campaign: a customer put in the treatment or control group on a date. */
export interface Assignment {
  customer_id: string;
  campaign: string;
  grp: string;
  date: string;
}

export interface AssignmentOutcome extends Assignment {
  /** Active on the assignment date by the workspace's rule (models/cohorts/active.ts); only these can churn. */
  activeAtStart: boolean;
  /** Not active on date + horizon by the same rule: the churn model's label. */
  churned: boolean;
  /** date + horizon ≤ the as-of date, so the outcome is known. */
  complete: boolean;
  clv: number;
}

/**
 * Churn of each assignment within the horizon after its date, by the churn model's label (models/forest/label.ts):
 * subscribers by their subscriptions, one-off buyers by the inactivity window W; `clv` is customer_value.clv (0 when
 * absent).
 */
export async function assignmentOutcomes(
  conn: DuckDBConnection,
  assignments: readonly Assignment[],
  options: { horizonDays: number; asOf: string; windowDays: number },
): Promise<AssignmentOutcome[]> {
  const active = new Map<string, Set<string>>();
  const activeOn = async (date: string) => {
    if (!active.has(date)) active.set(date, await activeCustomers(conn, date, options.windowDays));
    return active.get(date)!;
  };
  const clv = new Map(
    (await query<{ customer_id: string; clv: number }>(conn, "SELECT customer_id, clv FROM customer_value")).map(
      (r) => [r.customer_id, r.clv],
    ),
  );
  const out: AssignmentOutcome[] = [];
  for (const a of assignments) {
    const end = addDays(a.date, options.horizonDays);
    out.push({
      ...a,
      activeAtStart: (await activeOn(a.date)).has(a.customer_id),
      churned: !(await activeOn(end)).has(a.customer_id),
      complete: end <= options.asOf,
      clv: clv.get(a.customer_id) ?? 0,
    });
  }
  return out;
}

/** The readout table `churn readout` writes, which the monthly report shows as retention ROI. */
export const CREATE_CAMPAIGN_READOUT = `CREATE OR REPLACE TABLE campaign_readout (
  campaign VARCHAR, as_of VARCHAR, horizon_days INTEGER, control_n INTEGER, control_churned INTEGER,
  treatment_n INTEGER, treatment_churned INTEGER, effect DOUBLE, effect_low DOUBLE, effect_high DOUBLE, p_value DOUBLE,
  mean_clv_treated DOUBLE, value_saved DOUBLE, cost DOUBLE, net_return DOUBLE, roi DOUBLE)`;
