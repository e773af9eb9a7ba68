/**
 * The forecast's settings and what-if scenarios, from data/rules/forecast.json (zod-validated: a bad key or value is
 * named). The built-in scenarios come first: `baseline`, "the save team halves churn among red customers" and
 * "no new customers"; the file's scenarios follow.
 * A scenario's `churnChange` c multiplies, for the customers its `where` picks among those active at the as-of date,
 * the probability of not being active at each month's end: P'(inactive) = (1 + c) · P(inactive), c in [−1, 0].
 * `newCustomersChange` g multiplies first-time arrivals (new subscribers and new buyers) by 1 + g.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadRulesFile } from "../../loaders/rules-file.ts";
import { UserError } from "../../loaders/errors.ts";

export const WhereSchema = z.strictObject({
  kind: z.enum(["subscriber", "buyer"]).optional(),
  quadrant: z.enum(["true friends", "butterflies", "barnacles", "strangers"]).optional(),
  tier: z.enum(["high", "mid", "low"]).optional(),
  healthBand: z.enum(["green", "yellow", "red"]).optional(),
  segment: z.string().optional(),
  region: z.string().optional(),
  acquisitionChannel: z.string().optional(),
});
export type Where = z.infer<typeof WhereSchema>;

export const ScenarioSchema = z.strictObject({
  name: z.string().min(1).max(80),
  description: z.string().optional(),
  where: WhereSchema.default({}),
  churnChange: z
    .number()
    .min(-1, { error: "must be at least -1 (no churn)" })
    .max(0, {
      error: "must be at most 0: only reductions of churn are modelled",
    })
    .default(0),
  newCustomersChange: z.number().min(-1).max(10).default(0),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

export const ForecastRulesSchema = z.strictObject({
  description: z.string().optional(),
  months: z.number().int().min(1).max(36).default(6),
  arrivalMonths: z.number().int().min(1).max(36).default(6),
  hazardMonths: z.number().int().min(1).max(60).default(12),
  bandLevel: z.number().min(0.5).max(0.99).default(0.9),
  simulations: z.number().int().min(50).max(10_000).default(400),
  scenarios: z.array(ScenarioSchema).max(10).default([]),
});
export type ForecastRules = z.infer<typeof ForecastRulesSchema>;

export const BUILT_IN_SCENARIOS: Scenario[] = [
  { name: "baseline", where: {}, churnChange: 0, newCustomersChange: 0 },
  {
    name: "save team halves churn among red customers",
    where: { healthBand: "red" },
    churnChange: -0.5,
    newCustomersChange: 0,
  },
  { name: "no new customers", where: {}, churnChange: 0, newCustomersChange: -1 },
];

const DEFAULT_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "data", "rules", "forecast.json");

/** Read and validate the rules file; defaults when `path` is the default and the file is absent. */
export function loadForecastRules(path = DEFAULT_PATH): ForecastRules {
  if (!existsSync(path) && path === DEFAULT_PATH) return ForecastRulesSchema.parse({});
  const rules = loadRulesFile(path, ForecastRulesSchema, {
    what: "Forecast rules",
    hint: "See the description in data/rules/forecast.json.",
  });
  const names = new Set(BUILT_IN_SCENARIOS.map((s) => s.name));
  for (const s of rules.scenarios) {
    if (names.has(s.name)) throw new UserError(`${path}: scenario name "${s.name}" is used twice.`);
    names.add(s.name);
  }
  return rules;
}

/** The scenarios in report order: built-in first, then the file's. */
export function scenariosOf(rules: ForecastRules): Scenario[] {
  return [...BUILT_IN_SCENARIOS, ...rules.scenarios];
}
