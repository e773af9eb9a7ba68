/**
 * The default as-of date (loaders/default-as-of.ts): the data's last date, unless it lies more than a year after 99%
 * of the data's dates (a mistyped year). Then the as-of date is the last date before that, the rows beyond stay
 * loaded, and the report says so; `--as-of` is used as given. Signups in a customer export taken later than the
 * activity exports do not move it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addDays } from "../loaders/dates.ts";
import { runChurn } from "./helpers/cli.ts";

/** 300 purchases by 30 customers, one every day or two from 2024-01-01 to 2024-12-30, plus `extra` rows. */
function exports(extra: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "churn-as-of-"));
  const rows = Array.from({ length: 300 }, (_, i) => `C${i % 30},${addDays("2024-01-01", Math.floor(i * 1.22))},10`);
  writeFileSync(join(dir, "transactions.csv"), ["customer_id,date,amount", ...rows, ...extra].join("\n") + "\n");
  return dir;
}

function ingest(dir: string, extra: string[] = []) {
  const r = runChurn(["ingest", "--source", dir, "--db", join(dir, "w.duckdb"), "--json", ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { asOf: string; notes?: string[]; sources: Record<string, { loaded: number }> };
}

describe("the default as-of date", () => {
  it("is the data's last date for an ordinary export", () => {
    const json = ingest(exports([]));
    expect(json.asOf).toBe("2024-12-30");
    expect(json.notes).toBeUndefined();
  });

  it("is still the last date when the last year is sparse but holds over 1% of the dates", () => {
    // Four purchases in 2025 (1.3% of 304): a business winding down, not a typo.
    const json = ingest(exports(["C1,2025-03-01,5", "C2,2025-06-01,5", "C3,2025-09-01,5", "C4,2025-12-01,5"]));
    expect(json.asOf).toBe("2025-12-01");
  });

  it("leaves out a mistyped far-future date, keeps its row and says so", () => {
    const json = ingest(exports(["C7,2199-01-01,10", "C8,2062-05-04,10"]));
    expect(json.asOf).toBe("2024-12-30");
    expect(json.sources["transactions"]?.loaded).toBe(302);
    expect(json.notes?.join(" ")).toMatch(
      /as of 2024-12-30, not 2199-01-01: .* 2 in transactions \(latest 2199-01-01\)\. .*give --as-of/,
    );
  });

  it("is the activity's last date when the customer export runs later (its later signups are counted)", () => {
    const dir = exports([]);
    const signups = Array.from({ length: 30 }, (_, i) => `C${i},2024-01-01`);
    writeFileSync(
      join(dir, "customers.csv"),
      ["customer_id,signup_date", ...signups, "C98,2025-02-08", "C99,2025-02-09"].join("\n") + "\n",
    );
    const json = ingest(dir);
    expect(json.asOf).toBe("2024-12-30");
    expect(json.notes?.join(" ")).toMatch(
      /2 customers signed up after 2024-12-30 \(latest 2025-02-09\), the last date of the purchases.*--as-of/,
    );
    // A customer export alone: its signups are all the dates there are.
    const alone = mkdtempSync(join(tmpdir(), "churn-as-of-"));
    writeFileSync(join(alone, "customers.csv"), "customer_id,signup_date\nC1,2024-01-01\nC2,2024-03-05\n");
    expect(ingest(alone).asOf).toBe("2024-03-05");
  });

  it("--as-of is used as given", () => {
    const json = ingest(exports(["C7,2199-01-01,10"]), ["--as-of", "2199-01-01"]);
    expect(json.asOf).toBe("2199-01-01");
    expect(json.notes).toBeUndefined();
  });

  it("a given as-of date before the data or over a quarter after it gets a warning; a month after, none", () => {
    const dir = exports([]);
    expect(ingest(dir, ["--as-of", "2023-06-30"]).notes?.join(" ")).toMatch(
      /warning: the as-of date 2023-06-30 is before the data's first date 2024-01-01/,
    );
    expect(ingest(dir, ["--as-of", "2025-06-30"]).notes?.join(" ")).toMatch(
      /warning: the as-of date 2025-06-30 is 182 days after the data's last date 2024-12-30/,
    );
    expect(ingest(dir, ["--as-of", "2025-01-31"]).notes).toBeUndefined();
  });
});
