/**
 * `churn clv`: lifetime value, quadrant and tier of every customer from a transactions file or the warehouse, by the
 * same function as `churn build` (models/value/valuation.ts valueCustomers): one-off buyers by BG/NBD + Gamma-Gamma,
 * subscribers by the Kaplan-Meier curve of tenure, quadrants and tiers among customers active on the calibration end.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { queryOne, withWarehouse } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { rejectedNote, rejectedOfSources } from "../../loaders/flat-file.ts";
import { buildWarehouse } from "../../loaders/ingest.ts";
import { toCsv } from "../../models/actions/csv.ts";
import { holdoutByFrequency } from "../../models/value/holdout.ts";
import { PERIOD_DAYS, type Period } from "../../models/value/rfm.ts";
import { loadValueSettings } from "../../models/value/settings.ts";
import { valueCustomers } from "../../models/value/valuation.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage:
  churn clv --transactions FILE --customer COL --date COL --amount COL [--date-format FMT] --calibration-end DATE
            [--holdout-end DATE] [--period day|week|month] [--horizon N] [--discount R] [--margin M] [--keep-duplicates]
            [--out FILE.csv] [--json]
  churn clv --db FILE [--calibration-end DATE] [...same options]

RFM summary with lifetimes' conventions (same-day purchases merged; frequency = repeat purchase days; recency and T in
periods up to the calibration end, inclusive; monetary = mean of the repeat purchases), BG/NBD and Gamma-Gamma by
maximum likelihood, P(alive), expected purchases and spend, and CLV over --horizon months discounted at --discount per
month with --margin (defaults from data/rules/value.json: 12, 0.01, 1 = revenue). With --holdout-end, predicted vs
actual purchases in the holdout by calibration frequency. With --db, customers with a subscription started by the
calibration end are valued as subscribers (Kaplan-Meier of tenure), the others as one-off buyers: the same valuation,
quadrants and tiers as \`churn build\`'s customer_value. Quadrants and tiers are set among active customers (a
subscription covering the calibration end, or a purchase in the buyers' inactivity window W before it).
--keep-duplicates keeps exact duplicate rows (an export without order ids, like CDNOW, repeats genuine purchases).`;

const Flags = z.object({
  transactions: flag.string().optional(),
  db: flag.string().optional(),
  customer: flag.string().optional(),
  date: flag.string().optional(),
  amount: flag.string().optional(),
  dateFormat: flag.string().optional(),
  calibrationEnd: flag.date().optional(),
  holdoutEnd: flag.date().optional(),
  period: z.enum(["day", "week", "month"], { error: "expects day, week or month" }).default("week"),
  horizon: flag
    .integer()
    .pipe(z.number().min(1, { error: "must be at least 1 month" }))
    .optional(),
  discount: flag
    .number()
    .pipe(z.number().min(0, { error: "must be ≥ 0" }))
    .optional(),
  margin: flag
    .number()
    .pipe(z.number().gt(0, { error: "must be > 0" }))
    .optional(),
  keepDuplicates: flag.boolean(),
  out: flag.string().optional(),
  json: flag.boolean(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("clv", argv, Flags);
  let dbPath = flags.db;
  let tmp: string | undefined;
  let rejected = rejectedOfSources([]);
  try {
    if (flags.transactions) {
      if (!flags.customer || !flags.date || !flags.amount)
        throw new UserError("churn clv --transactions needs --customer COL, --date COL and --amount COL.");
      if (!flags.calibrationEnd) throw new UserError("churn clv --transactions needs --calibration-end DATE.");
      tmp = mkdtempSync(join(tmpdir(), "churn-clv-"));
      dbPath = join(tmp, "w.duckdb");
      const ingested = await buildWarehouse(
        {
          transactions: {
            file: flags.transactions,
            customer: flags.customer,
            date: flags.date,
            amount: flags.amount,
            ...(flags.dateFormat ? { dateFormat: flags.dateFormat } : {}),
            keepDuplicates: flags.keepDuplicates,
          },
        },
        dbPath,
      );
      rejected = rejectedOfSources(ingested.sources);
      // Formats read from the file's own values (loaders/detect-formats.ts) and other load notes.
      for (const note of [...ingested.sources.flatMap((s) => s.notes ?? []), ...(ingested.notes ?? [])])
        process.stderr.write(`note: ${note}\n`);
    }
    if (!dbPath) throw new UserError("churn clv needs --transactions FILE or --db FILE.");
    const result = await withWarehouse(dbPath, { readOnly: !tmp }, async (db) => {
      const conn = db.connection;
      const calibrationEnd =
        flags.calibrationEnd ??
        (await queryOne<{ value: string }>(conn, "SELECT value FROM warehouse_meta WHERE key = 'as_of'"))?.value;
      if (!calibrationEnd) throw new UserError("No calibration end: pass --calibration-end DATE.");
      const period = flags.period as Period;
      const defaults = loadValueSettings();
      const settings = {
        ...defaults,
        horizonMonths: flags.horizon ?? defaults.horizonMonths,
        monthlyDiscount: flags.discount ?? defaults.monthlyDiscount,
        margin: flags.margin ?? defaults.margin,
      };
      const valuation = await valueCustomers(conn, calibrationEnd, settings, { period });
      const { rows, rfm } = valuation;
      const bg = valuation.bgnbd,
        gg = valuation.gammaGamma;
      if ((!bg || !gg) && (rfm.customerIds.length > 0 || rows.length === 0))
        throw new UserError(`No BG/NBD fit on the one-off buyers: ${valuation.notes.join("; ") || "no buyers"}.`);
      const holdout =
        flags.holdoutEnd && bg
          ? await holdoutByFrequency(conn, bg, rfm, calibrationEnd, flags.holdoutEnd, PERIOD_DAYS[period])
          : null;
      if (flags.out) {
        const cols = [
          "customer_id",
          "kind",
          "active",
          "frequency",
          "recency",
          "T",
          "monetary",
          "p_alive",
          "expected_purchases",
          "expected_spend",
          "clv",
          "clv_method",
          "quadrant",
          "tier",
        ];
        const round = (v: number | null, digits: number) => (v === null ? null : +v.toFixed(digits));
        writeFileSync(
          flags.out,
          toCsv(
            cols,
            rows.map((r) => [
              r.id,
              r.kind,
              r.active ? "true" : "false",
              r.frequency,
              round(r.recency, 4),
              round(r.T, 4),
              round(r.monetary, 2),
              round(r.pAlive, 6),
              round(r.expectedPurchases, 6),
              round(r.expectedSpend, 2),
              round(r.clv, 2),
              r.method,
              r.quadrant,
              r.tier,
            ]),
          ),
        );
      }
      const corr = gg?.frequencySpendCorrelation ?? null;
      return {
        customers: rows.length,
        buyers: rows.filter((r) => r.kind === "buyer").length,
        subscribers: rows.filter((r) => r.kind === "subscriber").length,
        active: rows.filter((r) => r.active).length,
        repeatBuyers: rows.filter((r) => r.kind === "buyer" && (r.frequency ?? 0) > 0).length,
        calibrationEnd,
        period,
        buyerWindowDays: valuation.windowDays,
        bgnbd: bg && {
          r: bg.r,
          alpha: bg.alpha,
          a: bg.a,
          b: bg.b,
          logLik: bg.logLik,
          se: bg.se,
          converged: bg.converged,
        },
        gammaGamma: gg && { p: gg.p, q: gg.q, v: gg.v, logLik: gg.logLik, frequencySpendCorrelation: corr },
        holdout,
        thresholds: valuation.thresholds,
        warnings: valuation.notes,
        totalClv: rows.reduce((s, r) => s + (r.clv ?? 0), 0),
        notComputable: {
          count: rows.filter((r) => r.clv === null).length,
          reason: "BG/NBD expectation overflowed for the history; left out of the total, empty in --out",
        },
        definitions: {
          clv:
            `buyers: Σ over ${settings.horizonMonths} months of margin ${settings.margin} × expected spend × ` +
            `expected purchases in the month ÷ (1 + ${settings.monthlyDiscount})^month; subscribers: Σ of margin × ` +
            "MRR × S(tenure + month) / S(tenure) discounted alike; a month is 30.4375 days",
          active:
            `subscribers: a subscription covering ${calibrationEnd}; one-off buyers: a purchase in the ` +
            `${valuation.windowDays} days up to it`,
          quadrant: `among active customers; thresholds ${valuation.thresholds.rule}`,
          timeUnit: period,
        },
      };
    });
    const note = rejectedNote(flags.transactions ?? "", rejected, true);
    printResult(flags.json, { ...result, rejected: { count: rejected.count, reasons: rejected.reasons } }, () =>
      [
        `${result.customers} customers (${result.buyers} one-off buyers, ${result.repeatBuyers} of them repeat ` +
          `buyers; ${result.subscribers} subscribers; ${result.active} active), calibration end ` +
          `${result.calibrationEnd}, time unit ${result.period}`,
        result.bgnbd
          ? `BG/NBD: r ${result.bgnbd.r.toFixed(4)}, alpha ${result.bgnbd.alpha.toFixed(4)}, ` +
            `a ${result.bgnbd.a.toFixed(4)}, b ${result.bgnbd.b.toFixed(4)} ` +
            `(log-likelihood ${result.bgnbd.logLik.toFixed(2)})`
          : "BG/NBD: no one-off buyers",
        result.gammaGamma
          ? `Gamma-Gamma: p ${result.gammaGamma.p.toFixed(4)}, q ${result.gammaGamma.q.toFixed(4)}, ` +
            `v ${result.gammaGamma.v.toFixed(4)}; corr(frequency, spend) ` +
            `${result.gammaGamma.frequencySpendCorrelation?.toFixed(3) ?? "n/a"}`
          : "Gamma-Gamma: no one-off buyers",
        `Total CLV: ${result.totalClv.toFixed(0)}${flags.out ? ` · per customer in ${flags.out}` : ""}`,
        ...holdoutLines(result.holdout, flags.holdoutEnd),
        ...result.warnings.map((w) => `Warning: ${w}`),
        ...(note ? [note] : []),
      ].join("\n"),
    );
    return 0;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** The holdout check as text: repeat purchases per customer in the holdout, predicted against actual. */
interface HoldoutRow {
  frequency: string;
  customers: number;
  actual: number;
  predicted: number;
}

function holdoutLines(rows: HoldoutRow[] | null | undefined, end: string | undefined): string[] {
  if (!rows?.length || !end) return [];
  const total = (f: (r: HoldoutRow) => number) => rows.reduce((s, r) => s + r.customers * f(r), 0);
  const actual = total((r) => r.actual);
  const predicted = total((r) => r.predicted);
  const pad = (v: string, n: number) => v.padStart(n);
  return [
    `Holdout to ${end}: purchases per customer by repeat purchases in calibration, predicted vs actual`,
    `${pad("repeat", 7)} ${pad("customers", 10)} ${pad("predicted", 10)} ${pad("actual", 8)}`,
    ...rows.map(
      (r) =>
        `${pad(r.frequency, 7)} ${pad(String(r.customers), 10)} ${pad(r.predicted.toFixed(2), 10)} ` +
        `${pad(r.actual.toFixed(2), 8)}`,
    ),
    `All: ${predicted.toFixed(0)} predicted, ${actual.toFixed(0)} made ` +
      `(${actual > 0 ? `${((100 * (predicted - actual)) / actual).toFixed(1)}%` : "n/a"})`,
  ];
}
