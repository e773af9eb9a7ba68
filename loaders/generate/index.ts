/**
 * `churn generate`: a seeded synthetic small business written as the six raw exports in the native layout
 * (customers, transactions, subscriptions, interactions, surveys, cancellations) plus ground_truth.csv / .json.
 * The same options always give byte-identical files. The business mixes subscription customers (plans, upgrades,
 * downgrades, cancellations, reactivations, monthly invoices) and one-off buyers (BG/NBD purchase process with
 * Gamma-Gamma spend), with churn driven by plan, tenure, price and symptoms; see params.ts for the true values.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRandom, type Random } from "../random.ts";
import { dissatisfactionFromDropout, simulateBuyer } from "./buyer.ts";
import { addMonths, DateTable, dayNumber } from "./calendar.ts";
import { CustomerEvents } from "./events.ts";
import { companyName, emailFor } from "./names.ts";
import {
  CHANNELS,
  INDUSTRIES,
  PLANS,
  REGIONS,
  REGION_WEIGHTS,
  SEGMENTS,
  SIGNUP_SEASONALITY,
  TRUE_PARAMETERS,
} from "./params.ts";
import { drawReason } from "./reasons.ts";
import { simulateSubscriber, type SubscriberHistory } from "./subscriber.ts";
import { CsvFile, csvField, type DirtyKind, type DirtyRow, money } from "./writer.ts";

export interface GenerateOptions {
  customers: number;
  seed: number;
  out: string;
  /** First and last day of the business, YYYY-MM-DD. */
  from: string;
  to: string;
  /** Share of rows made deliberately bad (for the data-quality checks), 0 by default. */
  dirty: number;
}

export interface GenerateSummary {
  out: string;
  customers: number;
  rows: Record<string, number>;
  dirtyRows: number;
  from: string;
  to: string;
  seed: number;
}

function pick<T>(rng: Random, items: readonly T[], weights: readonly number[]): T {
  let u = rng.next();
  for (let i = 0; i < items.length; i++) {
    u -= weights[i]!;
    if (u < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Signup day with month seasonality and a growing business (more signups later). Rejection sampling. */
function signupDay(rng: Random, dates: DateTable, from: number, to: number): number {
  const span = to - from;
  for (;;) {
    const d = from + rng.int(span + 1);
    const w = SIGNUP_SEASONALITY[dates.month(d)]! * (0.7 + (0.6 * (d - from)) / span);
    if (rng.next() * 1.7 < w) return d;
  }
}

export async function generateBusiness(options: GenerateOptions): Promise<GenerateSummary> {
  const from = dayNumber(options.from);
  const to = dayNumber(options.to);
  if (!(to > from)) throw new RangeError("--to must be after --from");
  mkdirSync(options.out, { recursive: true });
  const dates = new DateTable(from - 1, to + 400);
  const rng = createRandom(options.seed);
  const dirtyLog: DirtyRow[] = [];
  const dirtyRng = createRandom((options.seed ^ 0x5eed_d17) >>> 0);
  // Cancellation reasons draw from their own stream, so the other files are the same with or without them.
  const reasonRng = createRandom((options.seed ^ 0x0ca2_ce15) >>> 0);
  const dirty = (kinds: DirtyKind[], dateField: number, numberField?: number) =>
    options.dirty > 0
      ? {
          rate: options.dirty,
          rng: dirtyRng,
          kinds,
          dateField,
          log: dirtyLog,
          ...(numberField === undefined ? {} : { numberField }),
        }
      : undefined;
  const all: DirtyKind[] = ["empty_id", "impossible_date", "bad_number", "duplicate", "missing_field"];
  const file = (name: string, header: string[], spec?: ReturnType<typeof dirty>) =>
    new CsvFile(join(options.out, name), header, name, spec);

  const customersCsv = file(
    "customers.csv",
    [
      "customer_id",
      "signup_date",
      "name",
      "email",
      "plan",
      "segment",
      "region",
      "industry",
      "company_size",
      "acquisition_channel",
      "acquisition_cost",
    ],
    dirty(["duplicate"], 1),
  );
  const transactionsCsv = file("transactions.csv", ["customer_id", "date", "amount", "order_id"], dirty(all, 1, 2));
  const subscriptionsCsv = file(
    "subscriptions.csv",
    ["customer_id", "start_date", "end_date", "plan", "mrr"],
    dirty(all, 1, 4),
  );
  const interactionsCsv = file(
    "interactions.csv",
    ["customer_id", "date", "type", "channel", "mood", "note"],
    dirty(["empty_id", "impossible_date", "duplicate", "missing_field"], 1),
  );
  const surveysCsv = file("surveys.csv", ["customer_id", "date", "nps", "csat"], dirty(all, 1, 2));
  const cancellationsCsv = file("cancellations.csv", ["customer_id", "date", "reason", "category", "note", "mrr_lost"]);
  const truthCsv = file("ground_truth.csv", [
    "customer_id",
    "kind",
    "churned",
    "churn_date",
    "dissatisfaction",
    "true_drivers",
  ]);

  const mix = TRUE_PARAMETERS.mix;
  let orderCounter = 0;
  const nextOrder = () => ++orderCounter;
  const width = Math.max(7, String(options.customers).length);

  for (let i = 1; i <= options.customers; i++) {
    const id = `C${String(i).padStart(width, "0")}`;
    const signup = signupDay(rng, dates, from, to);
    const u = rng.next();
    const kind = u < mix.subscription ? "subscription" : u < mix.subscription + mix.buyer ? "buyer" : "inactive";
    const segment = pick(
      rng,
      SEGMENTS,
      SEGMENTS.map((s) => s.weight),
    );
    const region = pick(rng, REGIONS, REGION_WEIGHTS);
    const industry = INDUSTRIES[rng.int(INDUSTRIES.length)]!;
    const size = segment.sizes[rng.int(segment.sizes.length)]!;
    const channel = pick(
      rng,
      CHANNELS,
      CHANNELS.map((c) => c.weight),
    );
    const acquisitionCents = Math.round(channel.cost * Math.exp(0.3 * rng.normal()) * 100);
    const name = companyName(rng);
    const idPrefix = `${id},`;

    let planName = "";
    let churned = false;
    let churnDay: number | null = null;
    let dissatisfaction = 0;
    let drivers: Set<string> = new Set();
    const lines: { day: number; text: string }[] = [];

    if (kind === "subscription") {
      dissatisfaction = rng.normal();
      const events = new CustomerEvents(rng, dissatisfaction);
      const firstPlan = pick(rng, [0, 1, 2], segment.plans);
      const history = simulateSubscriber(rng, events, signup, firstPlan, to);
      const lastChurn = history.churns.at(-1)?.day ?? to;
      events.background(signup, history.activeAtEnd ? to : lastChurn);
      const fired = history.churns.map((churn) => events.precursors(churn.day, churn.sequenceStart, true));
      for (const d of fired.flat()) history.drivers.add(d);
      planName = PLANS[history.finalPlan]!.name;
      churned = !history.activeAtEnd;
      churnDay = churned ? lastChurn : null;
      drivers = history.drivers;
      for (const p of history.periods) {
        subscriptionsCsv.write(
          `${idPrefix}${dates.iso(p.start)},${p.end === null || p.end > to ? "" : dates.iso(p.end)},` +
            `${PLANS[p.plan]!.name},${money(p.mrrCents)}`,
        );
      }
      writeCancellations(history, fired, events.dissatisfaction);
      history.invoices.forEach((inv, k) =>
        lines.push({ day: inv.day, text: `${idPrefix}${dates.iso(inv.day)},${money(inv.cents)},INV-${id}-${k + 1}` }),
      );
      writeEvents(events, signup, to);
    } else if (kind === "buyer") {
      const { a, b } = TRUE_PARAMETERS.bgnbd;
      const p = rng.beta(a, b);
      dissatisfaction = dissatisfactionFromDropout(rng, p);
      const events = new CustomerEvents(rng, dissatisfaction);
      const history = simulateBuyer(rng, events, signup, to, p, nextOrder);
      churned = history.dropoutDay !== null;
      churnDay = history.dropoutDay;
      drivers = history.drivers;
      for (const purchase of history.purchases) {
        const order = `ORD-${purchase.order}`;
        lines.push({
          day: purchase.day,
          text: `${idPrefix}${dates.iso(purchase.day)},${money(purchase.cents)},${order}`,
        });
        if (purchase.refundDay >= 0)
          lines.push({
            day: purchase.refundDay,
            text: `${idPrefix}${dates.iso(purchase.refundDay)},${money(-purchase.cents)},${order}`,
          });
      }
      writeEvents(events, signup, to);
    }
    lines.sort((x, y) => x.day - y.day);
    for (const line of lines) transactionsCsv.write(line.text);

    customersCsv.write(
      `${idPrefix}${dates.iso(signup)},${csvField(name)},${emailFor(name, id)},${planName},${segment.name},` +
        `${region},${industry},${size},${channel.name},${money(acquisitionCents)}`,
    );
    truthCsv.write(
      `${idPrefix}${kind},${churned ? 1 : 0},${churnDay === null ? "" : dates.iso(churnDay)},` +
        `${dissatisfaction.toFixed(3)},${[...drivers].sort().join(";")}`,
    );

    /** One row per churn that has a stated reason (loaders/generate/reasons.ts), with the MRR that ended. */
    function writeCancellations(history: SubscriberHistory, fired: string[][], dissatisfaction: number): void {
      history.churns.forEach((churn, k) => {
        const period = history.periods.find((p) => p.end === churn.day)!;
        const downgraded = history.periods.some(
          (p, j) =>
            j > 0 &&
            p.start < churn.day &&
            history.periods[j - 1]!.end === p.start &&
            p.plan < history.periods[j - 1]!.plan,
        );
        const stated = drawReason(reasonRng, {
          priceAboveList: period.mrrCents > 1.15 * PLANS[period.plan]!.mrr * 100,
          downgraded,
          basicPlan: period.plan === 0,
          dissatisfaction,
          earlyChurn: churn.day <= addMonths(churn.sequenceStart, 3),
          precursors: fired[k] ?? [],
        });
        if (!stated) return;
        const { reason, category, note } = stated;
        cancellationsCsv.write(
          `${idPrefix}${dates.iso(churn.day)},${csvField(reason)},${category},` +
            `${csvField(note)},${money(period.mrrCents)}`,
        );
      });
    }

    function writeEvents(events: CustomerEvents, first: number, last: number): void {
      events.interactions.sort((x, y) => x.day - y.day);
      for (const e of events.interactions) {
        if (e.day < first || e.day > last) continue;
        interactionsCsv.write(`${idPrefix}${dates.iso(e.day)},${e.type},${e.channel},${e.mood},${e.note}`);
      }
      events.surveys.sort((x, y) => x.day - y.day);
      for (const s of events.surveys) {
        if (s.day < first || s.day > last) continue;
        const { nps, csat } = events.scores(s);
        surveysCsv.write(`${idPrefix}${dates.iso(s.day)},${nps},${csat}`);
      }
    }
  }

  const files = [
    customersCsv,
    transactionsCsv,
    subscriptionsCsv,
    interactionsCsv,
    surveysCsv,
    cancellationsCsv,
    truthCsv,
  ];
  for (const f of files) f.close();
  const rows: Record<string, number> = {
    "customers.csv": customersCsv.rows,
    "transactions.csv": transactionsCsv.rows,
    "subscriptions.csv": subscriptionsCsv.rows,
    "interactions.csv": interactionsCsv.rows,
    "surveys.csv": surveysCsv.rows,
  };
  // ground_truth.json keeps the five original files' counts, so it stays byte-identical to before cancellations.
  const truthRows = { ...rows };
  rows["cancellations.csv"] = cancellationsCsv.rows;
  const summary: GenerateSummary = {
    out: options.out,
    customers: options.customers,
    rows,
    dirtyRows: dirtyLog.length,
    from: options.from,
    to: options.to,
    seed: options.seed,
  };
  const truth = {
    description:
      "True parameters of the generated business (loaders/generate/params.ts). Units are stated per parameter.",
    seed: options.seed,
    from: options.from,
    to: options.to,
    customers: options.customers,
    rows: truthRows,
    plans: PLANS,
    parameters: TRUE_PARAMETERS,
    dirty_rate: options.dirty,
    dirty_rows: dirtyLog,
  };
  writeFileSync(join(options.out, "ground_truth.json"), `${JSON.stringify(truth, null, 2)}\n`);
  return summary;
}
