/**
 * Every command that reads a warehouse refuses a --db it cannot use with a message saying what to do, no stack trace,
 * and creates nothing: a missing path (`churn train --db` used to create an empty DuckDB file there and then fail with
 * "unexpected failure"), a file that is not DuckDB, a DuckDB database churn did not write, a folder.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../loaders/db.ts";
import { runChurn } from "./helpers/cli.ts";

const READERS = [["cohorts"], ["survival"], ["clv"], ["forecast"], ["reasons"], ["train"]];

describe("a --db that is no churn warehouse", () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-refused-"));

  it("missing: every command says so and creates no file", () => {
    const missing = join(dir, "missing.duckdb");
    for (const args of READERS) {
      const r = runChurn([...args, "--db", missing]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`error: No warehouse at ${missing}.`);
      expect(r.stderr).not.toMatch(/unexpected failure|\n\s+at /);
      expect(existsSync(missing), args[0]).toBe(false);
    }
  });

  it("not DuckDB, not ours, a folder: refused by name, the file left as it was", async () => {
    const text = join(dir, "notes.duckdb");
    writeFileSync(text, "not a database\n");
    const foreign = join(dir, "foreign.duckdb");
    const db = await openDatabase(foreign);
    await db.connection.run("CREATE TABLE t (x INTEGER)");
    db.close();
    const folder = join(dir, "folder.duckdb");
    mkdirSync(folder);
    const cases: [string, RegExp][] = [
      [text, /is not a DuckDB warehouse/],
      [foreign, /is a DuckDB database that churn did not write \(no warehouse_meta table\)/],
      [folder, /is a folder, not a warehouse file/],
    ];
    for (const [path, says] of cases)
      for (const args of [["forecast"], ["train"]]) {
        const r = runChurn([...args, "--db", path]);
        expect(r.code, `${args[0]} ${path}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(says);
        expect(r.stderr).toMatch(/Run `churn build`/);
        expect(r.stderr).not.toMatch(/unexpected failure|\n\s+at /);
      }
  });
});
