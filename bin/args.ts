/**
 * Command-line flags: `--name value`, `--name=value` and boolean `--flag`, validated with a zod schema.
 * A bad or unknown flag is a UserError naming the flag and what it expects.
 */
import { z } from "zod";
import { UserError } from "../loaders/errors.ts";

export type RawFlags = Record<string, string | true>;

/** Split argv into flags. Flag names are kept as written without dashes, with kebab-case turned into camelCase. */
export function splitFlags(argv: string[]): { flags: RawFlags; positionals: string[] } {
  const flags: RawFlags = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const rawName = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const name = rawName.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (eq >= 0) {
      flags[name] = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        flags[name] = next;
        i++;
      } else {
        flags[name] = true;
      }
    }
  }
  return { flags, positionals };
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Parse argv against a zod object schema (keys in camelCase). Unknown flags are refused.
 * Use the helpers below (`flag.string()`, `flag.number()`, `flag.boolean()`, …) for coercion from text.
 */
export function parseFlags<S extends z.ZodObject<z.ZodRawShape>>(
  command: string,
  argv: string[],
  schema: S,
): z.infer<S> {
  const { flags, positionals } = splitFlags(argv);
  if (positionals.length > 0) {
    throw new UserError(`churn ${command}: unexpected argument "${positionals[0]}".`, {
      hint: `Flags start with --. See \`churn ${command} --help\`.`,
    });
  }
  const known = new Set(Object.keys(schema.shape));
  for (const name of Object.keys(flags)) {
    if (!known.has(name) && name !== "help") {
      throw new UserError(`churn ${command}: unknown flag --${kebab(name)}.`, {
        hint: `Known flags: ${[...known].map((k) => `--${kebab(k)}`).join(", ")}.`,
      });
    }
  }
  const result = schema.safeParse(flags);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = issue.path.length ? `--${kebab(String(issue.path[0]))}` : "flags";
    throw new UserError(`churn ${command}: ${name}: ${issue.message}.`, { hint: `See \`churn ${command} --help\`.` });
  }
  return result.data;
}

/** zod builders that accept the text a shell passes. */
export const flag = {
  string: () => z.string({ error: "expects a value" }).min(1, { error: "expects a value" }),
  number: () =>
    z
      .string({ error: "expects a number" })
      .trim()
      .regex(/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i, { error: "expects a number" })
      .transform(Number),
  integer: () =>
    z
      .string({ error: "expects a whole number" })
      .trim()
      .regex(/^-?\d+$/, { error: "expects a whole number" })
      .transform(Number),
  boolean: () =>
    z
      .literal(true, { error: "takes no value" })
      .optional()
      .transform((v) => v === true),
  date: () =>
    z
      .string({ error: "expects a date YYYY-MM-DD" })
      .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "expects a date YYYY-MM-DD" })
      .refine(
        (s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
        {
          error: "is not a real calendar date",
        },
      ),
  month: () =>
    z
      .string({ error: "expects a month YYYY-MM" })
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: "expects a month YYYY-MM" }),
  list: () =>
    z.string({ error: "expects a comma-separated list" }).transform((s) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x.length > 0),
    ),
};

/** Print a result: JSON when asked, otherwise the human text. */
export function printResult(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}
