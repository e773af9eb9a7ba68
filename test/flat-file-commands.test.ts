/**
 * The single-file commands (clv, cohorts, survival, train) through the real command line: they say what they set
 * aside (text and JSON "rejected"), take file names literally (brackets, stars), name exact physical lines after quoted
 * line breaks, and leave no temporary folder behind, refused or not.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runChurn } from "./helpers/cli.ts";

const root = mkdtempSync(join(tmpdir(), "churn-flat-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Temporary files or folders of ours (tsx keeps its own cache in TMPDIR too). */
const leftovers = (tmp: string) => readdirSync(tmp).filter((f) => f.startsWith("churn-"));

/** A fresh TMPDIR for one command, so its leftovers (if any) can be listed. */
function scratch(name: string): { dir: string; tmp: string } {
  const dir = join(root, name);
  const tmp = join(dir, "tmp");
  mkdirSync(tmp, { recursive: true });
  return { dir, tmp };
}

// 12 buyers with repeat purchases over a year; line 14 repeats line 13 exactly (two orders the same day, no id).
const ORDERS = [
  "client,day,amount",
  ...Array.from({ length: 12 }, (_, i) => `c${i},2024-0${1 + (i % 6)}-0${1 + (i % 9)},${10 + i}`),
  "c1,2024-03-05,10",
  "c1,2024-03-05,10",
  ...Array.from({ length: 12 }, (_, i) => `c${i},2024-1${i % 3}-1${i % 9},${20 + i}`),
  "c2,2024-07-0x,5",
].join("\n");

describe("what the flat-file commands set aside", () => {
  it("churn clv --transactions reports duplicates and bad rows, and says when --keep-duplicates is right", () => {
    const { dir, tmp } = scratch("clv");
    const file = join(dir, "orders[2024].csv");
    writeFileSync(file, `${ORDERS}\n`);
    const args = ["clv", "--transactions", file, "--customer", "client", "--date", "day", "--amount", "amount"];
    const json = runChurn([...args, "--calibration-end", "2024-12-31", "--json"], { env: { TMPDIR: tmp } });
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as { rejected: { count: number; reasons: Record<string, number> } };
    expect(out.rejected).toEqual({ count: 2, reasons: { "duplicate row": 1, "unparseable date": 1 } });
    const text = runChurn([...args, "--calibration-end", "2024-12-31"], { env: { TMPDIR: tmp } });
    expect(text.stdout).toMatch(/2 of 27 rows left out \(duplicate row 1, unparseable date 1\)/);
    expect(text.stdout).toMatch(/--keep-duplicates/);
    const kept = runChurn([...args, "--calibration-end", "2024-12-31", "--keep-duplicates", "--json"], {
      env: { TMPDIR: tmp },
    });
    expect(JSON.parse(kept.stdout).rejected).toEqual({ count: 1, reasons: { "unparseable date": 1 } });
    expect(leftovers(tmp)).toEqual([]);
  }, 300_000);

  it("churn clv --holdout-end prints the holdout check in text as in --json", () => {
    const { dir, tmp } = scratch("clv-holdout");
    const file = join(dir, "orders.csv");
    writeFileSync(file, `${ORDERS}\n`);
    const args = ["clv", "--transactions", file, "--customer", "client", "--date", "day", "--amount", "amount"];
    const period = ["--calibration-end", "2024-10-31", "--holdout-end", "2024-12-31"];
    const json = JSON.parse(runChurn([...args, ...period, "--json"], { env: { TMPDIR: tmp } }).stdout) as {
      holdout: { frequency: string; customers: number; predicted: number; actual: number }[];
    };
    expect(json.holdout.length).toBeGreaterThan(0);
    const text = runChurn([...args, ...period], { env: { TMPDIR: tmp } }).stdout;
    expect(text).toMatch(/Holdout to 2024-12-31: purchases per customer/);
    for (const row of json.holdout) {
      const line = new RegExp(
        `^\\s*${row.frequency.replace("+", "\\+")}\\s+${row.customers}\\s+` +
          `${row.predicted.toFixed(2)}\\s+${row.actual.toFixed(2)}$`,
        "m",
      );
      expect(text).toMatch(line);
    }
  }, 300_000);

  it("churn clv --transactions reads US dates and says so", () => {
    const { dir, tmp } = scratch("clv-us");
    const file = join(dir, "orders.csv");
    const us = ORDERS.replace(/(\d{4})-(\d{2})-(\d{2})/g, "$2/$3/$1");
    writeFileSync(file, `${us}\n`);
    const args = ["clv", "--transactions", file, "--customer", "client", "--date", "day", "--amount", "amount"];
    const r = runChurn([...args, "--calibration-end", "2024-12-31", "--json"], { env: { TMPDIR: tmp } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: orders\.csv \(day\): dates read as %m\/%d\/%Y \(26 of 27 values/);
    expect(JSON.parse(r.stdout).rejected).toEqual({ count: 2, reasons: { "duplicate row": 1, "unparseable date": 1 } });
  }, 300_000);

  it("a refused clv or cohorts run leaves no temporary folder", () => {
    const { dir, tmp } = scratch("refused");
    const file = join(dir, "orders.csv");
    writeFileSync(file, `${ORDERS}\n`);
    const clv = runChurn(
      ["clv", "--transactions", file, "--customer", "nope", "--date", "day", "--amount", "amount"].concat([
        "--calibration-end",
        "2024-12-31",
      ]),
      { env: { TMPDIR: tmp } },
    );
    expect(clv.code).not.toBe(0);
    expect(clv.stderr).toMatch(/required column "nope" is missing/);
    const cohorts = runChurn(
      ["cohorts", "--subscriptions", file, "--customer", "client", "--start", "nope", "--end", "day"],
      { env: { TMPDIR: tmp } },
    );
    expect(cohorts.code).not.toBe(0);
    expect(leftovers(tmp)).toEqual([]);
  });

  it("churn survival reads a Latin-1 file and says it did", () => {
    const { dir } = scratch("latin1");
    const file = join(dir, "tenure.csv");
    writeFileSync(file, Buffer.from("tenure,churned,plan\n5,1,Café\n7,0,Pro\n2,1,Café\n9,0,Pro\n", "latin1"));
    const r = runChurn(["survival", "--input", file, "--duration", "tenure", "--event", "churned", "--group", "plan"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("note: tenure.csv: not valid UTF-8 text (line 2), read as latin-1");
    expect(r.stdout).toContain("Café");
  });

  it("churn survival names the exact line after a quoted line break, and sets aside bad rows with their lines", () => {
    const { dir, tmp } = scratch("survival");
    const file = join(dir, "tenure*.csv");
    // line 3 holds a quoted line break (the record ends on line 4); line 6 has a field too many; line 8 is bad.
    const rows = ["id,days,churned,note", "a,10,1,x", 'b,20,0,"two', 'lines"', "c,5,1,y", "d,7,1,z,extra", "", ""];
    writeFileSync(file, `${rows.join("\n")}e,soon,1,w\n`);
    const r = runChurn(["survival", "--input", file, "--duration", "days", "--event", "churned"], {
      env: { TMPDIR: tmp },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /tenure\*\.csv: 2 of 5 rows left out \(too many fields 1, duration not a number 1; first at line 6, 8\)/,
    );
    writeFileSync(file, `${rows.join("\n")}e,3,1,w\n`);
    const ok = runChurn(["survival", "--input", file, "--duration", "days", "--event", "churned", "--json"], {
      env: { TMPDIR: tmp },
    });
    expect(ok.code, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout) as { overall: { n: number }; rejected: { count: number } };
    expect(out.overall.n).toBe(4);
    expect(out.rejected).toEqual({ count: 1, reasons: { "too many fields": 1 } });
    expect(leftovers(tmp)).toEqual([]);
  });
});
