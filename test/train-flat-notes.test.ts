/**
 * `churn train --input` on flat files that need a word: a target with more than two values says which count as
 * churn, rows that repeat an --id (one customer's several rows) are kept in one fold, so no customer sits in both
 * training and test folds, and rows with a blank target are set aside and counted rather than stopping the run.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRandom } from "../loaders/random.ts";
import { groupedFolds } from "../models/forest/evaluate.ts";
import { runChurn } from "./helpers/cli.ts";

/** A seeded flat file: `customers` ids × `per` rows each, a plan, a number and the target from `target(i)`. */
function flatFile(customers: number, per: number, target: (rng: () => number) => string): string {
  const rng = createRandom(4);
  const lines = ["id,plan,x,Churn"];
  for (let c = 0; c < customers; c++)
    for (let r = 0; r < per; r++)
      lines.push(`c${c},${["a", "b", "c"][c % 3]},${(rng.next() * 100).toFixed(2)},${target(() => rng.next())}`);
  const dir = mkdtempSync(join(tmpdir(), "churn-train-flat-"));
  writeFileSync(join(dir, "flat.csv"), `${lines.join("\n")}\n`);
  return join(dir, "flat.csv");
}

describe("churn train on flat files that need a word", () => {
  it("a target with three values: the note says which count as churn, in the text and in --json", () => {
    const file = flatFile(300, 1, (u) => (u() < 0.3 ? "Yes" : u() < 0.5 ? "Maybe" : "No"));
    const text = runChurn(["train", "--input", file, "--target", "Churn", "--id", "id", "--trees", "20"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/note: the target Churn has 3 values: Yes \(\d+\) count as churn, .*Maybe \(\d+\)/);
    expect(text.stderr).toMatch(/give --positive V/);
    const json = runChurn([
      "train",
      "--input",
      file,
      "--target",
      "Churn",
      "--positive",
      "Maybe",
      "--trees",
      "20",
      "--json",
    ]);
    const notes = (JSON.parse(json.stdout) as { notes: string[] }).notes;
    expect(notes[0]).toMatch(/Maybe \(\d+\) count as churn/);
    expect(notes[0]).not.toMatch(/give --positive/);
  });

  it("grouped folds keep every id in one fold and give each fold churners and stayers", () => {
    const rng = createRandom(9);
    const ids = Array.from({ length: 600 }, (_, i) => `c${i % 150}`);
    const churnedIds = new Set(Array.from({ length: 150 }, (_, c) => c).filter(() => rng.next() < 0.3));
    const labels = Uint8Array.from(ids, (id, i) => (churnedIds.has(Number(id.slice(1))) && i >= 450 ? 1 : 0));
    const folds = groupedFolds(ids, labels, 5, 1);
    const foldOf = new Map<string, Set<number>>();
    ids.forEach((id, i) => foldOf.set(id, (foldOf.get(id) ?? new Set()).add(folds[i]!)));
    for (const set of foldOf.values()) expect(set.size).toBe(1);
    for (let f = 0; f < 5; f++) {
      const inFold = Array.from(labels).filter((_, i) => folds[i] === f);
      expect(inFold.some((l) => l === 1) && inFold.some((l) => l === 0)).toBe(true);
    }
    expect(groupedFolds(ids, labels, 5, 1)).toEqual(folds); // seeded
  });

  it("repeated ids: the command says it keeps each id's rows in one fold", () => {
    const file = flatFile(150, 4, (u) => (u() < 0.3 ? "Yes" : "No"));
    const r = runChurn(["train", "--input", file, "--target", "Churn", "--id", "id", "--trees", "20", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { notes: string[] }).notes).toContain(
      "450 rows repeat an id already seen: each id's rows are kept in one fold",
    );
  });

  it("rows with a blank target are set aside with their lines, in the text and in --json", () => {
    let row = 0;
    const file = flatFile(300, 1, (u) => (++row % 50 === 0 ? "" : u() < 0.3 ? "Yes" : "No"));
    const r = runChurn(["train", "--input", file, "--target", "Churn", "--id", "id", "--trees", "20", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("flat.csv: 6 of 300 rows left out (blank target 6; first at line 51, 101, 151).");
    const out = JSON.parse(r.stdout) as { rejected: unknown; rows: number };
    expect(out.rejected).toEqual({ count: 6, reasons: { "blank target": 6 } });
  });
});
