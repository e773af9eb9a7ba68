/** Interactions and survey answers of one customer, collected during the simulation and written sorted by date. */
import type { Random } from "../random.ts";
import { TRUE_PARAMETERS } from "./params.ts";

export interface InteractionEvent {
  day: number;
  type: string;
  channel: string;
  mood: "happy" | "neutral" | "unhappy";
  note: string;
}

export interface SurveyEvent {
  day: number;
  /** Points subtracted from the NPS because churn is near. */
  drop: number;
}

const CHANNELS = ["phone", "email", "chat"] as const;
const NOTES: Record<string, string[]> = {
  complaint: [
    "Invoice was wrong",
    "Feature stopped working",
    "Slow response from support",
    "Unhappy with price",
    "Order arrived damaged",
  ],
  support_call: ["How-to question", "Password reset", "Integration help", "Billing question"],
  delivery_delay: ["Parcel delayed by carrier", "Backorder on item", "Shipped to wrong address"],
  cancellation_request: ["Asked how to cancel", "Wants to end the contract", "Considering a competitor"],
  failed_payment: ["Card declined", "Direct debit bounced"],
  downgrade_request: ["Asked for a cheaper plan", "Reducing seats"],
  contact_left: ["Main contact left the company", "Champion moved to another role"],
  renewal_postponed: ["Renewal meeting postponed", "Budget review before renewal"],
};

export class CustomerEvents {
  interactions: InteractionEvent[] = [];
  surveys: SurveyEvent[] = [];

  constructor(
    private readonly rng: Random,
    readonly dissatisfaction: number,
  ) {}

  add(day: number, type: string, mood?: InteractionEvent["mood"]): void {
    const rng = this.rng;
    const notes = NOTES[type] ?? ["Contact"];
    this.interactions.push({
      day,
      type,
      channel: CHANNELS[rng.int(3)]!,
      mood: mood ?? this.mood(type),
      note: notes[rng.int(notes.length)]!,
    });
  }

  private mood(type: string): InteractionEvent["mood"] {
    const u = this.rng.next();
    const shift = 0.1 * this.dissatisfaction;
    if (type === "support_call") return u < 0.4 - shift ? "happy" : u < 0.85 - shift ? "neutral" : "unhappy";
    if (type === "complaint" || type === "delivery_delay") return u < 0.6 + shift ? "unhappy" : "neutral";
    return u < 0.5 ? "neutral" : "unhappy";
  }

  /** Background complaints and support calls over [from, to] at monthly rates scaled by dissatisfaction. */
  background(from: number, to: number): void {
    if (to < from) return;
    const s = TRUE_PARAMETERS.symptoms;
    const months = (to - from + 1) / 30.4375;
    const scale = Math.exp(s.dissatisfactionEffect * this.dissatisfaction);
    const complaints = this.rng.poisson(months * s.complaintPerMonth * scale);
    for (let i = 0; i < complaints; i++) this.add(from + this.rng.int(to - from + 1), "complaint");
    const calls = this.rng.poisson(months * s.supportCallPerMonth);
    for (let i = 0; i < calls; i++) this.add(from + this.rng.int(to - from + 1), "support_call");
    // Surveys about every four months, answered with probability 0.6.
    for (let d = from + 30 + this.rng.int(90); d <= to; d += 100 + this.rng.int(40)) {
      if (this.rng.next() < 0.6) this.surveys.push({ day: d, drop: 0 });
    }
  }

  /** Precursors of a churn (or a buyer's dropout) on `day`: a critical signal, extra complaints, lower scores. */
  precursors(day: number, earliest: number, critical: boolean): string[] {
    const s = TRUE_PARAMETERS.symptoms;
    const fired: string[] = [];
    const rng = this.rng;
    if (critical && rng.next() < s.criticalPrecursorShare) {
      const u = rng.next();
      let acc = 0;
      let type = "cancellation_request";
      for (const [name, share] of Object.entries(s.criticalPrecursorMix)) {
        acc += share;
        if (u < acc) {
          type = name;
          break;
        }
      }
      const d = Math.max(earliest, day - 1 - rng.int(60));
      this.add(d, type);
      fired.push(type);
    }
    const extra = rng.poisson(s.preChurnComplaints);
    for (let i = 0; i < extra; i++) {
      const d = Math.max(earliest, day - 1 - rng.int(90));
      this.add(d, "complaint", rng.next() < 0.7 ? "unhappy" : "neutral");
    }
    if (extra >= 2) fired.push("complaints", "unhappy_moods");
    for (const survey of this.surveys) if (survey.day < day && survey.day >= day - 90) survey.drop = s.preChurnNpsDrop;
    if (rng.next() < 0.5 && day - 20 >= earliest) {
      this.surveys.push({ day: day - 5 - rng.int(30), drop: s.preChurnNpsDrop });
      fired.push("low_nps");
    }
    return fired;
  }

  /** NPS 0–10 and CSAT 1–5 for a survey, from dissatisfaction, noise and the pre-churn drop. */
  scores(survey: SurveyEvent): { nps: number; csat: number } {
    const s = TRUE_PARAMETERS.symptoms;
    const nps = Math.round(
      s.npsBase + s.npsDissatisfaction * this.dissatisfaction + 1.2 * this.rng.normal() - survey.drop,
    );
    const csat = Math.round(4.2 - 0.5 * this.dissatisfaction + 0.6 * this.rng.normal() - survey.drop / 3);
    return { nps: Math.min(10, Math.max(0, nps)), csat: Math.min(5, Math.max(1, csat)) };
  }
}
