/**
 * The churn forest on IBM Telco (7,043 customers, target Churn) through the real command line: 5-fold CV ROC-AUC
 * ≥ 0.84 (scikit-learn's RandomForestClassifier gets 0.844 on this file here, issue 5), and the bad-input messages.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runChurn } from "./helpers/cli.ts";
import { describeWithReference, referencePath } from "./helpers/reference.ts";

describeWithReference("churn train on IBM Telco", () => {
  it("reaches a mean 5-fold ROC-AUC of at least 0.84 with the default settings", () => {
    const r = runChurn([
      "train",
      "--input",
      referencePath("telco", "WA_Fn-UseC_-Telco-Customer-Churn.csv"),
      "--target",
      "Churn",
      "--id",
      "customerID",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toBe(7043);
    expect(out.features).toBe(19);
    expect(out.auc).toBeGreaterThanOrEqual(0.84);
    expect(out.prAuc).toBeGreaterThan(0.6);
    expect(out.brier).toBeLessThan(0.15);
    // Contract and tenure are the well-known strongest signals in this data set.
    expect(out.permutationImportances.slice(0, 4).map((i: { feature: string }) => i.feature)).toEqual(
      expect.arrayContaining(["Contract", "tenure"]),
    );
    for (const key of ["precision", "recall", "f1", "threshold", "trainSeconds"])
      expect(Number.isFinite(out[key])).toBe(true);
  });
});

describe("churn train: bad input", () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-train-"));
  const file = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const fail = (args: string[]) => {
    const r = runChurn(["train", ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    return r.stderr;
  };
  it("a target with one class", () => {
    expect(fail(["--input", file("a.csv", "x,churn\n1,no\n2,no\n3,no\n"), "--target", "churn"])).toContain(
      "has only one class",
    );
  });
  it("a missing target column lists the columns found", () => {
    const err = fail(["--input", file("b.csv", "x,y\n1,2\n"), "--target", "churn"]);
    expect(err).toContain('b.csv has no column "churn"');
    expect(err).toContain("Columns found: x, y");
  });
  it("an empty file", () => {
    expect(fail(["--input", file("c.csv", ""), "--target", "churn"])).toContain("is empty");
  });
  it("an all-blank column is left out with a note, not an error", () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},,${i % 2 ? "yes" : "no"}`).join("\n");
    const r = runChurn([
      "train",
      "--input",
      file("d.csv", `x,blank,churn\n${rows}\n`),
      "--target",
      "churn",
      "--trees",
      "10",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("left out 1 column(s) with no values: blank");
    expect(JSON.parse(r.stdout).features).toBe(1);
  });
});
