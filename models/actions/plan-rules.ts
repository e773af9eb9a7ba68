/** The proactive plan's rules file (data/rules/plan.json), validated with zod: a bad key or value is named. */
import { join } from "node:path";
import { z } from "zod";
import { load, RULES_DIR } from "./rules-config.ts";

const name = z.string().trim().min(1);
const Cadence = z.strictObject({
  everyMonths: z.number().int().min(1).max(24),
  team: name,
  channel: name.optional(),
});
const Touch = z.strictObject({
  touch: name,
  noSurveyWithinDays: z.number().int().positive().optional(),
  /** Only on the customer's anniversary: the touch falls in the calendar month of their first day (once a year). */
  anniversary: z.literal(true).optional(),
  quadrants: z.array(name).min(1).optional(),
  tiers: z
    .array(z.enum(["high", "mid", "low"]))
    .min(1)
    .optional(),
});

export const PlanRulesSchema = z.strictObject({
  description: z.string().optional(),
  welcome: z.strictObject({
    touch: name,
    withinDays: z.number().int().positive(),
    afterDays: z.number().int().min(0),
    team: name,
    channel: name.optional(),
  }),
  cadence: z.strictObject({ high: Cadence, mid: Cadence, low: Cadence }),
  touches: z
    .array(Touch)
    .min(1)
    .refine((t) => Object.keys(t.at(-1)!).length === 1, {
      error: "the last touch must have no condition (only `touch`), so every customer gets one",
    }),
  channels: z.strictObject({ bySegment: z.record(z.string(), name), default: name }),
});
export type PlanRules = z.infer<typeof PlanRulesSchema>;

export function loadPlanRules(path = join(RULES_DIR, "plan.json")): PlanRules {
  return load(path, PlanRulesSchema, "See README, 'The proactive plan', for the keys of the plan rules.");
}
