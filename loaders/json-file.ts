/**
 * A JSON file a person edits (the export config, the rules files), read forgivingly where it costs nothing and
 * precisely where it fails: a leading byte-order mark (Windows Notepad writes one) is skipped, and a syntax error
 * names the file, line and column instead of a character offset.
 */
import { readFileSync } from "node:fs";
import { UserError } from "./errors.ts";

export function readJsonFile(
  path: string,
  hint = "Check for trailing commas, unquoted keys and missing quotes.",
): unknown {
  const text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    let where = "";
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split("\n").length;
      const column = before.length - before.lastIndexOf("\n");
      where = `, line ${line}, column ${column}`;
    }
    const reason = message.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
    throw new UserError(`${path}${where}: not valid JSON (${reason}).`, { hint });
  }
}
