/**
 * The contact threshold that maximises expected saved value on the out-of-fold predictions:
 *   saved(t) = Σ over customer-snapshots scored ≥ t of (churned × saveRate × value − costPerContact)
 * (math/metrics.ts bestValueThreshold). Each customer-snapshot is valued at what was known on its snapshot date: the
 * customer's CLV from valueCustomers (valuation.ts) run at that date with data up to it only. Valuing them at today's
 * CLV instead leaks the outcome: a customer who churned after the snapshot is worth about 0 today, so every churner
 * looks worthless to save and the best threshold contacts nobody. Each valuation refits the value models on the data up
 * to its date, so only VALUED_SNAPSHOTS of the snapshots, evenly spaced from the latest, are valued and used.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { bestValueThreshold } from "../math/metrics.ts";
import { loadValueSettings } from "../value/settings.ts";
import { valueCustomers } from "../value/valuation.ts";

/** How many snapshot dates are valued (each one refits BG/NBD, Gamma-Gamma and Kaplan-Meier on data up to it). */
export const VALUED_SNAPSHOTS = 4;

export interface ContactThreshold {
  threshold: number;
  /** Over all training customer-snapshots. */
  savedValue: number;
  contacted: number;
  /** Snapshot dates valued and used (of `snapshotsAvailable`). */
  snapshots: number;
  snapshotsAvailable: number;
  dates: string[];
  /** The same per monthly snapshot: what one round of contacts at this threshold would do. */
  contactedPerSnapshot: number;
  savedValuePerSnapshot: number;
  /** Customer-snapshots that could not be valued on their date (e.g. too few buyers for BG/NBD then): valued 0. */
  unvalued: number;
  saveRate: number;
  costPerContact: number;
  valuedAt: string;
  rule: string;
}

/** The value of each customer-snapshot on its own snapshot date, in the stacked order of `snapshots`. */
export async function snapshotValues(
  conn: DuckDBConnection,
  snapshots: readonly { date: string; ids: readonly string[] }[],
  windowDays: number,
): Promise<{ values: Float64Array; unvalued: number }> {
  const settings = loadValueSettings();
  const values = new Float64Array(snapshots.reduce((s, x) => s + x.ids.length, 0));
  let offset = 0,
    unvalued = 0;
  for (const s of snapshots) {
    const valuation = await valueCustomers(conn, s.date, settings, {
      windowDays,
      only: new Set(s.ids),
      standardErrors: false,
    });
    const clv = new Map(valuation.rows.map((r) => [r.id, r.clv]));
    s.ids.forEach((id, i) => {
      const v = clv.get(id);
      if (v === undefined || v === null) unvalued++;
      values[offset + i] = v ?? 0;
    });
    offset += s.ids.length;
  }
  return { values, unvalued };
}

/** The snapshots valued for the threshold (VALUED_SNAPSHOTS, evenly spaced from the latest) and their stacked rows. */
export function valuedSnapshots<S extends { date: string; ids: readonly string[] }>(
  snapshots: readonly S[],
): { chosen: S[]; rows: number[] } {
  const step = Math.max(1, Math.ceil(snapshots.length / VALUED_SNAPSHOTS));
  const chosen: S[] = [];
  const rows: number[] = [];
  let offset = 0;
  snapshots.forEach((s, k) => {
    if (k % step === 0) {
      chosen.push(s);
      for (let i = 0; i < s.ids.length; i++) rows.push(offset + i);
    }
    offset += s.ids.length;
  });
  return { chosen, rows };
}

/**
 * The threshold from the out-of-fold predictions and `valued`, the values of valuedSnapshots(snapshots).chosen
 * (snapshotValues; analyze.ts starts them while the cross-validation grows its forests, or earlier).
 */
export function contactThreshold(
  snapshots: readonly { date: string; ids: readonly string[] }[],
  outOfFold: ArrayLike<number>,
  labels: ArrayLike<number>,
  valued: { values: Float64Array; unvalued: number },
  options: { saveRate: number; costPerContact: number },
): ContactThreshold {
  const { chosen, rows } = valuedSnapshots(snapshots);
  const { values, unvalued } = valued;
  const scores = Float64Array.from(rows, (i) => outOfFold[i]!);
  const y = Uint8Array.from(rows, (i) => labels[i]!);
  const best = bestValueThreshold(scores, y, values, options.saveRate, options.costPerContact);
  const n = Math.max(1, chosen.length);
  return {
    ...best,
    snapshots: chosen.length,
    snapshotsAvailable: snapshots.length,
    dates: chosen.map((s) => s.date),
    contactedPerSnapshot: best.contacted / n,
    savedValuePerSnapshot: best.savedValue / n,
    unvalued,
    saveRate: options.saveRate,
    costPerContact: options.costPerContact,
    valuedAt: "the snapshot date: CLV from data up to that day only (no outcome leakage)",
    rule:
      "maximises Σ over contacted customer-snapshots of (churned × save rate × CLV on the snapshot date − cost per " +
      "contact) on the out-of-fold predictions",
  };
}
