/**
 * Cancellation reasons → group and category, from data/rules/reasons.json (zod-validated; a bad key or value is named).
 *
 * Definition: a reason's category is the export's own category when it says internal or external (any case);
 * otherwise the category of the first group, in file order, one of whose phrases the reason contains as whole words
 * after normalising both (lower case; every run of characters other than letters and digits becomes one space);
 * otherwise "unclassified". Internal = the product, service or prices; external = competitors or the customer's
 * changed situation (the factors of churn as the method this workspace follows names them).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { UserError } from "../../loaders/errors.ts";

export const CATEGORIES = ["internal", "external", "unclassified"] as const;
export type Category = (typeof CATEGORIES)[number];

export const ReasonRulesSchema = z.strictObject({
  description: z.string().optional(),
  groups: z.array(
    z.strictObject({
      id: z.string().min(1),
      category: z.enum(["internal", "external"]),
      match: z.array(z.string().regex(/[\p{L}\p{N}]/u, { error: "needs at least one letter or digit" })).min(1),
    }),
  ),
});
export type ReasonRules = z.infer<typeof ReasonRulesSchema>;

export const REASON_RULES_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "data",
  "rules",
  "reasons.json",
);

export function loadReasonRules(path = REASON_RULES_PATH): ReasonRules {
  if (!existsSync(path)) throw new UserError(`Reason rules not found: ${path}.`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UserError(`${path} is not valid JSON: ${(error as Error).message}.`);
  }
  const result = ReasonRulesSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UserError(`${path}: at ${issue.path.join(".") || "(top level)"}: ${issue.message}.`, {
      hint: "See README, 'Why customers leave', for the keys of the reason rules.",
    });
  }
  return result.data;
}

/** Lower case, every run of characters other than letters and digits as one space, trimmed. */
export function normalizeReason(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

export interface Classified {
  category: Category;
  /** The rules group the reason matched (price, competitor, …), or null when none did. */
  group: string | null;
}

/** Group and category of one reason (see the module comment for the definition). */
export function classifyReason(reason: string, exportCategory: string | null, rules: ReasonRules): Classified {
  const padded = ` ${normalizeReason(reason)} `;
  const hit = rules.groups.find((g) => g.match.some((m) => padded.includes(` ${normalizeReason(m)} `)));
  const given = exportCategory?.trim().toLowerCase();
  const category: Category = given === "internal" || given === "external" ? given : (hit?.category ?? "unclassified");
  return { category, group: hit?.id ?? null };
}
