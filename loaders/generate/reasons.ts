/**
 * The reason a churning subscriber gives, drawn from the simulation's own causes of that churn, for cancellations.csv.
 * Draws come from their own seeded stream, so adding reasons changes no other file of a generated business.
 *
 * P(no reason recorded) = noReasonShare. Otherwise a reason is drawn with weight base + Σ effect × [cause present]
 * (REASON_WEIGHTS): a price above list (price factor > 1.15), an earlier downgrade or a failed payment make price and
 * budget likelier; the Basic plan makes features likelier; dissatisfaction (> 0) makes support and quality likelier;
 * a cancellation request makes a competitor likelier; a departed contact or a churn in the first three months make
 * "no longer needed" likelier. The category is written for categoryShare of rows (the rest is left for the rules),
 * the customer's words for noteShare of rows.
 */
import type { Random } from "../random.ts";

export interface ChurnCauses {
  priceAboveList: boolean;
  downgraded: boolean;
  basicPlan: boolean;
  dissatisfaction: number;
  earlyChurn: boolean;
  /** The critical precursor of this churn (cancellation_request, failed_payment, …), if one fired. */
  precursors: readonly string[];
}

export interface StatedReason {
  reason: string;
  category: "internal" | "external" | "";
  note: string;
}

export const REASON_PARAMETERS = { noReasonShare: 0.2, categoryShare: 0.6, noteShare: 0.75 } as const;

interface ReasonSpec {
  reason: string;
  category: "internal" | "external" | "";
  weight: (c: ChurnCauses) => number;
  notes: string[];
}

const has = (c: ChurnCauses, p: string) => (c.precursors.includes(p) ? 1 : 0);
const flag = (b: boolean) => (b ? 1 : 0);

export const REASON_WEIGHTS: ReasonSpec[] = [
  {
    reason: "Too expensive",
    category: "internal",
    weight: (c) => 1 + 3 * flag(c.priceAboveList) + 1.5 * flag(c.downgraded),
    notes: ["Too expensive for what we use", "The price went up again", "Hard to justify the cost to my boss"],
  },
  {
    reason: "Budget cuts",
    category: "internal",
    weight: (c) => 0.5 + 2 * has(c, "failed_payment") + has(c, "renewal_postponed"),
    notes: ["Our budget was cut this year", "We are reducing all software spend", "Can't afford it right now"],
  },
  {
    reason: "Missing features",
    category: "internal",
    weight: (c) => 0.8 + 1.5 * flag(c.basicPlan),
    notes: ["No integration with our accounting tool", "We need reporting by team", "Missing an API for exports"],
  },
  {
    reason: "Poor support",
    category: "internal",
    weight: (c) => 0.4 + 2 * Math.max(0, c.dissatisfaction),
    notes: ["Support took a week to answer", "Nobody called us back", "We were passed from person to person"],
  },
  {
    reason: "Product quality",
    category: "internal",
    weight: (c) => 0.4 + 1.5 * Math.max(0, c.dissatisfaction),
    notes: ["Too many bugs after the last update", "The app was down twice in a month", "Too slow with our data"],
  },
  {
    reason: "Switched to competitor",
    category: "external",
    weight: (c) => 0.8 + has(c, "cancellation_request"),
    notes: ["Found a cheaper alternative", "Our new partner uses another tool", "A competitor offered us a deal"],
  },
  {
    reason: "Moved",
    category: "external",
    weight: () => 0.3,
    notes: ["We moved abroad", "Relocated to a region you don't serve"],
  },
  {
    reason: "Closed business",
    category: "external",
    weight: () => 0.3,
    notes: ["We closed the shop", "The company is winding down"],
  },
  {
    reason: "No longer needed",
    category: "external",
    weight: (c) => 0.4 + 1.5 * has(c, "contact_left") + flag(c.earlyChurn),
    notes: ["The project ended", "The person who used it left", "Only needed it for one season"],
  },
  {
    reason: "Other",
    category: "",
    weight: () => 0.3,
    notes: ["Personal reasons", "Just not for us"],
  },
];

/** The reason for one churn, or null when none is recorded. */
export function drawReason(rng: Random, causes: ChurnCauses): StatedReason | null {
  const P = REASON_PARAMETERS;
  if (rng.next() < P.noReasonShare) return null;
  const weights = REASON_WEIGHTS.map((r) => r.weight(causes));
  let u = rng.next() * weights.reduce((a, b) => a + b, 0);
  let spec = REASON_WEIGHTS[REASON_WEIGHTS.length - 1]!;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) {
      spec = REASON_WEIGHTS[i]!;
      break;
    }
  }
  const category = rng.next() < P.categoryShare ? spec.category : "";
  const note = rng.next() < P.noteShare ? spec.notes[rng.int(spec.notes.length)]! : "";
  return { reason: spec.reason, category, note };
}
