/**
 * A subscription customer, month by month: billing on each monthly anniversary, a monthly churn hazard
 * h = base(plan) × exp(b_dis·dissatisfaction + b_price·log(price factor) + b_down·[downgraded]) × tenure factor,
 * upgrades and downgrades (close one period, open the next the same day), and reactivations after churn.
 */
import type { Random } from "../random.ts";
import { addMonths } from "./calendar.ts";
import type { CustomerEvents } from "./events.ts";
import { PLANS, TRUE_PARAMETERS } from "./params.ts";

export interface SubscriptionPeriod {
  start: number;
  end: number | null;
  plan: number;
  mrrCents: number;
}

export interface Invoice {
  day: number;
  cents: number;
}

export interface SubscriberHistory {
  periods: SubscriptionPeriod[];
  invoices: Invoice[];
  /** Churn days with the start of the subscription sequence that ended (precursors never precede it). */
  churns: { day: number; sequenceStart: number }[];
  finalPlan: number;
  activeAtEnd: boolean;
  drivers: Set<string>;
}

export function simulateSubscriber(
  rng: Random,
  events: CustomerEvents,
  signup: number,
  firstPlan: number,
  to: number,
): SubscriberHistory {
  const P = TRUE_PARAMETERS;
  const priceFactor = Math.exp(P.hazard.priceFactorSigma * rng.normal());
  const history: SubscriberHistory = {
    periods: [],
    invoices: [],
    churns: [],
    finalPlan: firstPlan,
    activeAtEnd: false,
    drivers: new Set(),
  };
  let plan = firstPlan;
  let sequenceStart = signup;
  let downgraded = false;
  const mrrOf = (p: number) => Math.round(PLANS[p]!.mrr * priceFactor) * 100;
  let period: SubscriptionPeriod = { start: signup, end: null, plan, mrrCents: mrrOf(plan) };
  let tenureMonths = 0;

  for (let k = 0; ; k++) {
    const billDay = addMonths(sequenceStart, k);
    if (billDay > to) break;
    history.invoices.push({ day: billDay, cents: period.mrrCents });
    const next = addMonths(sequenceStart, k + 1);
    if (next > to) break;
    tenureMonths++;
    const tf = P.hazard.tenureFactor;
    const tenureFactor = tenureMonths <= 3 ? tf.under3Months : tenureMonths <= 12 ? tf.under12Months : tf.from12Months;
    const h =
      PLANS[plan]!.baseMonthlyHazard *
      Math.exp(
        P.hazard.dissatisfaction * events.dissatisfaction +
          P.hazard.logPriceFactor * Math.log(priceFactor) +
          (downgraded ? P.hazard.downgraded : 0),
      ) *
      tenureFactor;
    if (rng.next() < h) {
      period.end = next;
      history.periods.push(period);
      history.churns.push({ day: next, sequenceStart });
      if (tenureMonths <= 3) history.drivers.add("tenure");
      if (priceFactor > 1.15) history.drivers.add("mrr");
      if (plan === 0) history.drivers.add("plan");
      if (events.dissatisfaction > 1) history.drivers.add("complaints");
      // Some come back months later on a new subscription.
      if (rng.next() >= P.reactivation.probability) return finish(history, plan, false);
      const back = addMonths(next, 1 + Math.floor(rng.exponential(1 / P.reactivation.meanMonthsAway)));
      if (back > to) return finish(history, plan, false);
      sequenceStart = back;
      k = -1;
      tenureMonths = 0;
      plan = Math.max(0, plan - (rng.next() < 0.3 ? 1 : 0));
      period = { start: back, end: null, plan, mrrCents: mrrOf(plan) };
      continue;
    }
    const pc = P.planChange;
    const u = rng.next();
    const down = pc.downgradePerMonth * Math.exp(pc.downgradeDissatisfaction * events.dissatisfaction);
    if (u < pc.upgradePerMonth && plan < PLANS.length - 1) {
      period.end = next;
      history.periods.push(period);
      plan++;
      period = { start: next, end: null, plan, mrrCents: mrrOf(plan) };
    } else if (u >= pc.upgradePerMonth && u < pc.upgradePerMonth + down && plan > 0) {
      period.end = next;
      history.periods.push(period);
      plan--;
      downgraded = true;
      history.drivers.add("downgrade_request");
      period = { start: next, end: null, plan, mrrCents: mrrOf(plan) };
    }
  }
  history.periods.push(period);
  return finish(history, plan, true);
}

function finish(history: SubscriberHistory, plan: number, active: boolean): SubscriberHistory {
  history.finalPlan = plan;
  history.activeAtEnd = active;
  return history;
}
