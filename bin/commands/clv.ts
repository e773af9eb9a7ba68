/** `churn clv`: BG/NBD + Gamma-Gamma lifetime value from a transactions file or the warehouse. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { queryOne, withDatabase } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { rejectedNote, rejectedOfSources } from "../../loaders/flat-file.ts";
import { buildWarehouse } from "../../loaders/ingest.ts";
import { toCsv } from "../../models/actions/csv.ts";
import { conditionalExpectedPurchases, fitBgNbd, probabilityAlive } from "../../models/value/bgnbd.ts";
import { buyerClv } from "../../models/value/clv.ts";
import { conditionalExpectedSpend, fitGammaGamma } from "../../models/value/gamma-gamma.ts";
import { holdoutByFrequency } from "../../models/value/holdout.ts";
import { PERIOD_DAYS, rfmSummary, type Period } from "../../models/value/rfm.ts";
import { median } from "simple-statistics";
import { quadrantOf, valueTiers } from "../../models/value/segments.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage:
  churn clv --transactions FILE --customer COL --date COL --amount COL [--date-format FMT] --calibration-end DATE
            [--holdout-end DATE] [--period day|week|month] [--horizon N] [--discount R] [--margin M] [--keep-duplicates]
            [--out FILE.csv] [--json]
  churn clv --db FILE [--calibration-end DATE] [...same options]

RFM summary with lifetimes' conventions (same-day purchases merged; frequency = repeat purchase days; recency and T in
periods up to the calibration end, inclusive; monetary = mean of the repeat purchases), BG/NBD and Gamma-Gamma by
maximum likelihood, P(alive), expected purchases and spend, and CLV over --horizon months (default 12) discounted at
--discount per month (default 0.01) with --margin (default 1 = revenue). With --holdout-end, predicted vs actual
purchases in the holdout by calibration frequency. With --db, every customer with transactions is included.
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
    .default(12),
  discount: flag
    .number()
    .pipe(z.number().min(0, { error: "must be ≥ 0" }))
    .default(0.01),
  margin: flag
    .number()
    .pipe(z.number().gt(0, { error: "must be > 0" }))
    .default(1),
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
    }
    if (!dbPath) throw new UserError("churn clv needs --transactions FILE or --db FILE.");
    const result = await withDatabase(dbPath, { readOnly: !tmp }, async (db) => {
      const conn = db.connection;
      const calibrationEnd =
        flags.calibrationEnd ??
        (await queryOne<{ value: string }>(conn, "SELECT value FROM warehouse_meta WHERE key = 'as_of'"))?.value;
      if (!calibrationEnd) throw new UserError("No calibration end: pass --calibration-end DATE.");
      const period = flags.period as Period;
      const rfm = await rfmSummary(conn, calibrationEnd, period, "all");
      const bg = fitBgNbd(rfm);
      const gg = fitGammaGamma(rfm.frequency, rfm.monetary);
      const periodsPerMonth = 30.4375 / PERIOD_DAYS[period];
      const options = {
        steps: flags.horizon,
        periodsPerStep: periodsPerMonth,
        discountPerStep: flags.discount,
        margin: flags.margin,
      };
      const customers = rfm.customerIds.map((id, i) => {
        const x = rfm.frequency[i]!,
          tx = rfm.recency[i]!,
          T = rfm.T[i]!,
          m = rfm.monetary[i]!;
        const pAlive = probabilityAlive(bg, x, tx, T);
        const spend = conditionalExpectedSpend(gg, x, m);
        return {
          id,
          x,
          tx,
          T,
          m,
          pAlive,
          purchases: conditionalExpectedPurchases(bg, flags.horizon * periodsPerMonth, x, tx, T),
          spend,
          clv: buyerClv(bg, spend, x, tx, T, options),
          loyalty: flags.horizon * pAlive,
        };
      });
      const vThreshold = customers.length ? median(customers.map((c) => c.clv)) : 0,
        lThreshold = customers.length ? median(customers.map((c) => c.loyalty)) : 0;
      const tiers = valueTiers(customers.map((c) => c.clv));
      const holdout = flags.holdoutEnd
        ? await holdoutByFrequency(conn, bg, rfm, calibrationEnd, flags.holdoutEnd, PERIOD_DAYS[period])
        : null;
      if (flags.out) {
        const cols = [
          "customer_id",
          "frequency",
          "recency",
          "T",
          "monetary",
          "p_alive",
          "expected_purchases",
          "expected_spend",
          "clv",
          "quadrant",
          "tier",
        ];
        writeFileSync(
          flags.out,
          toCsv(
            cols,
            customers.map((c, i) => [
              c.id,
              c.x,
              +c.tx.toFixed(4),
              +c.T.toFixed(4),
              +c.m.toFixed(2),
              +c.pAlive.toFixed(6),
              +c.purchases.toFixed(6),
              +c.spend.toFixed(2),
              Number.isFinite(c.clv) ? +c.clv.toFixed(2) : "",
              quadrantOf(c.clv, c.loyalty, vThreshold, lThreshold),
              tiers[i]!,
            ]),
          ),
        );
      }
      return {
        customers: customers.length,
        repeatBuyers: customers.filter((c) => c.x > 0).length,
        calibrationEnd,
        period,
        bgnbd: { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b, logLik: bg.logLik, se: bg.se, converged: bg.converged },
        gammaGamma: {
          p: gg.p,
          q: gg.q,
          v: gg.v,
          logLik: gg.logLik,
          frequencySpendCorrelation: gg.frequencySpendCorrelation,
        },
        holdout,
        warnings:
          gg.frequencySpendCorrelation !== null && Math.abs(gg.frequencySpendCorrelation) > 0.3
            ? [
                `frequency and spend are correlated (Pearson r = ${gg.frequencySpendCorrelation.toFixed(2)}); Gamma-Gamma assumes they are independent, so expected spend may be biased`,
              ]
            : [],
        totalClv: customers.reduce((s, c) => s + (Number.isFinite(c.clv) ? c.clv : 0), 0),
        notComputable: {
          count: customers.filter((c) => !Number.isFinite(c.clv)).length,
          reason: "BG/NBD expectation overflowed for the history; left out of the total, empty in --out",
        },
        definitions: {
          clv: `Σ over ${flags.horizon} months of margin × expected spend × expected purchases in the month ÷ (1 + ${flags.discount})^month; a month is 30.4375 days`,
          timeUnit: period,
        },
      };
    });
    const note = rejectedNote(flags.transactions ?? "", rejected, true);
    printResult(flags.json, { ...result, rejected: { count: rejected.count, reasons: rejected.reasons } }, () =>
      [
        `${result.customers} customers (${result.repeatBuyers} repeat buyers), calibration end ${result.calibrationEnd}, time unit ${result.period}`,
        `BG/NBD: r ${result.bgnbd.r.toFixed(4)}, alpha ${result.bgnbd.alpha.toFixed(4)}, a ${result.bgnbd.a.toFixed(4)}, b ${result.bgnbd.b.toFixed(4)} (log-likelihood ${result.bgnbd.logLik.toFixed(2)})`,
        `Gamma-Gamma: p ${result.gammaGamma.p.toFixed(4)}, q ${result.gammaGamma.q.toFixed(4)}, v ${result.gammaGamma.v.toFixed(4)}; corr(frequency, spend) ${result.gammaGamma.frequencySpendCorrelation?.toFixed(3) ?? "n/a"}`,
        `Total CLV: ${result.totalClv.toFixed(0)}${flags.out ? ` · per customer in ${flags.out}` : ""}`,
        ...result.warnings.map((w) => `Warning: ${w}`),
        ...(note ? [note] : []),
      ].join("\n"),
    );
    return 0;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
