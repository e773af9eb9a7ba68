/** The symptom rules and offers files (data/rules/*.json), validated with zod: a bad key or value is named. */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadRulesFile } from "../../loaders/rules-file.ts";

const base = { id: z.string().regex(/^[a-z0-9_]+$/), label: z.string() };
const window = { withinDays: z.number().int().positive() };
const weight = { weight: z.number().min(0).max(1).optional() };
const RuleSchema = z.discriminatedUnion("type", [
  z.strictObject({
    ...base,
    ...weight,
    type: z.literal("event"),
    interaction: z.string(),
    atLeast: z.number().int().positive(),
    ...window,
  }),
  z.strictObject({
    ...base,
    ...weight,
    type: z.literal("mood"),
    mood: z.string(),
    atLeast: z.number().int().positive(),
    ...window,
  }),
  z.strictObject({
    ...base,
    ...weight,
    type: z.literal("survey_threshold"),
    field: z.enum(["nps", "csat"]),
    atMost: z.number(),
    ...window,
  }),
  z.strictObject({
    ...base,
    ...weight,
    type: z.literal("survey_change"),
    field: z.enum(["nps", "csat"]),
    dropAtLeast: z.number().positive(),
    ...window,
  }),
  z.strictObject({ ...base, ...weight, type: z.literal("mrr_drop"), ...window }),
  z.strictObject({ ...base, ...weight, type: z.literal("purchase_decline"), minDropShare: z.number().gt(0).max(1) }),
  z.strictObject({ ...base, ...weight, type: z.literal("inactivity"), gapMultiple: z.number().positive() }),
]);
export type SymptomRule = z.infer<typeof RuleSchema>;

export const RulesSchema = z.strictObject({
  description: z.string().optional(),
  critical: z.array(RuleSchema),
  recapitulative: z.array(RuleSchema.and(z.object({ weight: z.number().min(0).max(1) }))),
  health: z.strictObject({
    criticalCap: z.number().min(0).max(100),
    green: z.number().min(0).max(100),
    yellow: z.number().min(0).max(100),
  }),
  playbook: z.strictObject({
    saveOfferShareOfClv: z.number().min(0).max(1),
    winBackMinClv: z.number().min(0),
    letGoMaxClv: z.number().min(0),
    highRisk: z.number().min(0).max(1),
    mediumRisk: z.number().min(0).max(1),
    winBackWithinDays: z.number().int().positive(),
    /** Value tiers whose customers at medium risk get the high-risk action (playbooks.ts, rule 5). */
    escalateTiers: z.array(z.enum(["high", "mid", "low"])).default(["high"]),
  }),
});
export type Rules = z.infer<typeof RulesSchema>;

export const OffersSchema = z.strictObject({
  description: z.string().optional(),
  offers: z.array(
    z.union([
      z.strictObject({ id: z.string(), label: z.string(), monthsOfValue: z.number().positive() }),
      z.strictObject({ id: z.string(), label: z.string(), fixed: z.number().positive() }),
    ]),
  ),
});
export type Offers = z.infer<typeof OffersSchema>;

export const RULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "data", "rules");

/** Read and validate one rules file; errors name the file, the key and what to do. */
export function load<T>(
  path: string,
  schema: z.ZodType<T>,
  hint = "See README, 'Symptoms, health and actions', for the rule types and keys.",
): T {
  return loadRulesFile(path, schema, { what: "Rules file", hint });
}

export function loadRules(path = join(RULES_DIR, "symptoms.json")): Rules {
  return load(path, RulesSchema);
}

export function loadOffers(path = join(RULES_DIR, "offers.json")): Offers {
  return load(path, OffersSchema);
}
