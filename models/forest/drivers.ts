/**
 * Per-customer churn drivers in plain words: the features with the largest positive contributions to the customer's
 * churn probability (mean Saabas path contributions over the trees), phrased with the customer's own value.
 */
import type { FeatureTable } from "./dataset.ts";

const n0 = (v: number) => String(Math.round(v));
const PHRASES: Record<string, (v: number | string) => string | null> = {
  complaints_30d: (v) =>
    Number(v) > 0
      ? `${n0(Number(v))} complaint${Number(v) === 1 ? "" : "s"} in the last 30 days`
      : "no complaints lately",
  complaints_90d: (v) =>
    Number(v) > 0 ? `${n0(Number(v))} complaint${Number(v) === 1 ? "" : "s"} in the last 90 days` : null,
  cancellation_requests_90d: (v) => (Number(v) > 0 ? "asked to cancel in the last 90 days" : null),
  failed_payments_90d: (v) =>
    Number(v) > 0 ? `${n0(Number(v))} failed payment${Number(v) === 1 ? "" : "s"} in the last 90 days` : null,
  downgrade_requests_90d: (v) => (Number(v) > 0 ? "asked to downgrade in the last 90 days" : null),
  contacts_left_90d: (v) => (Number(v) > 0 ? "their main contact left" : null),
  renewals_postponed_90d: (v) => (Number(v) > 0 ? "postponed the renewal" : null),
  unhappy_90d: (v) =>
    Number(v) > 0 ? `${n0(Number(v))} unhappy contact${Number(v) === 1 ? "" : "s"} in 90 days` : null,
  delivery_delays_90d: (v) =>
    Number(v) > 0 ? `${n0(Number(v))} delivery delay${Number(v) === 1 ? "" : "s"} in 90 days` : null,
  days_since_last_purchase: (v) => `no purchase for ${n0(Number(v))} days`,
  spend_trend: (v) =>
    Number(v) < 1 ? `spend down ${Math.round(100 * (1 - Number(v)))}% vs the previous 90 days` : null,
  spend_90d: (v) =>
    Number(v) <= 0 ? "no spend in the last 90 days" : `spent ${Number(v).toFixed(0)} in the last 90 days`,
  days_since_last_contact: (v) => `no contact for ${n0(Number(v))} days`,
  purchases_90d: (v) =>
    Number(v) === 0 ? "no purchase in the last 90 days" : `${n0(Number(v))} purchase days in the last 90 days`,
  last_nps: (v) => `last NPS ${n0(Number(v))}`,
  nps_change: (v) => (Number(v) < 0 ? `NPS fell by ${n0(-Number(v))} points` : null),
  last_csat: (v) => `last CSAT ${n0(Number(v))} of 5`,
  tenure_days: (v) => `customer for ${n0(Number(v))} days`,
  mrr: (v) => `pays ${Number(v).toFixed(0)} per month`,
  mrr_change_90d: (v) => (Number(v) < 0 ? `MRR down ${(-Number(v)).toFixed(0)} in 90 days` : null),
  plan: (v) => `on the ${v} plan`,
  kind: (v) => (v === "buyer" ? "one-off buyer (no subscription)" : null),
};

export function driverWords(
  table: FeatureTable,
  row: number,
  contribution: Float64Array,
  top = 3,
): { feature: string; contribution: number; text: string }[] {
  const order = Array.from(contribution, (c, f) => ({ f, c }))
    .filter((x) => x.c > 0.005)
    .sort((a, b) => b.c - a.c);
  const out: { feature: string; contribution: number; text: string }[] = [];
  for (const { f, c } of order) {
    const name = table.names[f]!;
    const column = table.columns[f]!;
    const value = column instanceof Float64Array ? column[row]! : column[row];
    if (value === null || value === undefined || (typeof value === "number" && Number.isNaN(value))) continue;
    const phrase =
      PHRASES[name]?.(value) ?? `${name.replace(/_/g, " ")} = ${typeof value === "number" ? +value.toFixed(2) : value}`;
    if (!phrase) continue;
    out.push({ feature: name, contribution: c, text: phrase });
    if (out.length === top) break;
  }
  return out;
}
