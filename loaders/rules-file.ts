/** Read one JSON settings file (data/rules/*.json or a user's copy) and validate it with zod. */
import { existsSync } from "node:fs";
import { readJsonFile } from "./json-file.ts";
import type { z } from "zod";
import { UserError } from "./errors.ts";

/**
 * The file's content, checked against `schema`. A missing file, bad JSON or a bad key is a UserError naming the file
 * (as `what`, e.g. "Win-back rules"), the key and what to read (`hint`).
 */
export function loadRulesFile<T>(path: string, schema: z.ZodType<T>, options: { what: string; hint: string }): T {
  if (!existsSync(path)) throw new UserError(`${options.what} not found: ${path}.`);
  const json = readJsonFile(path);
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UserError(`${path}: at ${issue.path.join(".") || "(top level)"}: ${issue.message}.`, {
      hint: options.hint,
    });
  }
  return result.data;
}
