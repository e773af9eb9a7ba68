/** Value-analysis settings from data/rules/value.json (zod-validated; a bad key or value is named). */
import { existsSync } from "node:fs";
import { readJsonFile } from "../../loaders/json-file.ts";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { UserError } from "../../loaders/errors.ts";

const Threshold = z.union([z.literal("median"), z.number().min(0)]);
export const ValueSettingsSchema = z.strictObject({
  description: z.string().optional(),
  horizonMonths: z.number().int().min(1).max(120),
  monthlyDiscount: z.number().min(0).max(1),
  margin: z.number().gt(0).max(1),
  holdoutWeeks: z.number().int().min(1).max(104),
  tierHigh: z.number().gt(0).lt(1),
  tierMid: z.number().min(0).lt(1),
  valueThreshold: Threshold,
  loyaltyThreshold: Threshold,
  /** Survival by quadrant: customers are placed in a quadrant this many months before the as-of date, then followed. */
  quadrantLandmarkMonths: z.number().int().min(1).max(120).default(12),
});
export type ValueSettings = z.infer<typeof ValueSettingsSchema>;

const DEFAULT_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "data", "rules", "value.json");

export function loadValueSettings(path = DEFAULT_PATH): ValueSettings {
  if (!existsSync(path)) throw new UserError(`Value settings not found: ${path}.`);
  const result = ValueSettingsSchema.safeParse(readJsonFile(path));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UserError(`${path}: at ${issue.path.join(".") || "(top level)"}: ${issue.message}.`);
  }
  if (result.data.tierHigh + result.data.tierMid > 1)
    throw new UserError(`${path}: tierHigh + tierMid must be at most 1.`);
  return result.data;
}
