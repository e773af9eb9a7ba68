/**
 * Cancellation reasons → group and category, from data/rules/reasons.json (zod-validated; a bad key or value is named).
 *
 * Definition: a reason's category is the export's own category when it says internal or external (any case);
 * otherwise the category of the first group, in file order, one of whose phrases the reason contains as whole words
 * after normalising both (lower case; every run of characters other than letters and digits becomes one space);
 * otherwise "unclassified". Internal = the product, service or prices; external = competitors or the customer's
 * changed situation (the factors of churn as the method this workspace follows names them).
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { loadRulesFile } from "../../loaders/rules-file.ts";

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
  return loadRulesFile(path, ReasonRulesSchema, {
    what: "Reason rules",
    hint: "See README, 'Why customers leave', for the keys of the reason rules.",
  });
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
