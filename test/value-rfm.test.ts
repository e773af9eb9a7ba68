/**
 * The RFM summary built from the raw CDNOW_sample.txt through `churn clv` reproduces lifetimes' summary files for all
 * 2,357 customers (REFERENCE.md, "How the summary files derive"), and the BG/NBD fit on it matches the independent
 * scipy fit (REFERENCE.md section 3: log-likelihood −9582.43).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvParse } from "d3-dsv";
import { expect, it } from "vitest";
import { runChurn } from "./helpers/cli.ts";
import { describeWithReference, referencePath } from "./helpers/reference.ts";

describeWithReference("RFM summary from the raw CDNOW transactions", () => {
  it("matches cdnow_customers_summary(_with_transactions).csv row by row", () => {
    const dir = mkdtempSync(join(tmpdir(), "churn-rfm-"));
    const raw = readFileSync(referencePath("cdnow", "CDNOW_sample.txt"), "utf8")
      .trim()
      .split(/\r?\n/)
      .map((l) => l.trim().split(/\s+/));
    writeFileSync(join(dir, "t.csv"), `id,date,spent\n${raw.map((f) => `${f[1]},${f[2]},${f[4]}`).join("\n")}\n`);
    const out = join(dir, "clv.csv");
    const r = runChurn([
      "clv",
      "--transactions",
      join(dir, "t.csv"),
      "--customer",
      "id",
      "--date",
      "date",
      "--amount",
      "spent",
      "--date-format",
      "%Y%m%d",
      "--calibration-end",
      "1997-09-30",
      "--keep-duplicates",
      "--out",
      out,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.customers).toBe(2357);
    expect(json.repeatBuyers).toBe(946);
    expect(Math.abs(json.bgnbd.logLik - -9582.43)).toBeLessThan(0.01);
    const ours = new Map(
      csvParse(
        readFileSync(out, "utf8")
          .replace(/^\ufeff/, "")
          .replace(/\r\n/g, "\n"),
      ).map((row) => [Number(row.customer_id), row]),
    );
    const summary = csvParse(readFileSync(referencePath("cdnow", "cdnow_customers_summary.csv"), "utf8"));
    const withMoney = csvParse(
      readFileSync(referencePath("cdnow", "cdnow_customers_summary_with_transactions.csv"), "utf8"),
    );
    expect(summary.length).toBe(2357);
    summary.forEach((s, i) => {
      const o = ours.get(Number(s.ID))!;
      expect(Number(o.frequency), `ID ${s.ID}`).toBe(Number(s.frequency));
      expect(Math.abs(Number(o.recency) - Number(s.recency))).toBeLessThan(0.005);
      expect(Math.abs(Number(o.T) - Number(s.T))).toBeLessThan(0.005);
      // both sides are rounded to cents, so they may differ by one cent
      expect(Math.abs(Number(o.monetary) - Number(withMoney[i]!.zbar))).toBeLessThanOrEqual(0.0100001);
    });
  });
});
