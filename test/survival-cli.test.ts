/** `churn survival` through the real command line: the JSON of issue 3 on g3.csv, and each bad input's message. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runChurn } from "./helpers/cli.ts";
import { describeWithReference, referencePath } from "./helpers/reference.ts";

describeWithReference("churn survival on g3.csv", () => {
  it("prints overall, per-group and log-rank results (values as in lifelines' tests, REFERENCE.md 2.1)", () => {
    const r = runChurn(["survival", "--input", referencePath("survival", "g3.csv"), "--duration", "time", "--event", "event", "--group", "group", "--at", "9,19,32,34", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.overall).toMatchObject({ n: 17, events: 6, median: null });
    const control = out.groups.find((g: { name: string }) => g.name === "Control");
    expect(control.at.map((p: { survival: number }) => Number(p.survival.toFixed(3)))).toEqual([0.833, 0.667, 0.5, 0.333]);
    expect(control.at[0].lower).toBeCloseTo(0.2731, 3);
    expect(control.median).toBe(32);
    expect(out.logRank.df).toBe(1);
    expect(Math.abs(out.logRank.p - 0.0138)).toBeLessThan(1e-4);
  });

  it("prints each group's curve in the text report too", () => {
    const r = runChurn(["survival", "--input", referencePath("survival", "g3.csv"), "--duration", "time", "--event", "event", "--group", "group", "--at", "9"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("group = Control: 6 subjects, 4 events, median 32\n    S(9) = 0.833  [0.273, 0.975]  at risk 6");
    expect(r.stdout).toContain("group = RIT: 11 subjects, 2 events, median not reached");
    expect(r.stdout).toMatch(/Log-rank: chi-square 6\.06\d on 1 df, p = 0\.0138/);
  });

  it("accepts --event-value for any event coding", () => {
    const r = runChurn(["survival", "--input", referencePath("survival", "g3.csv"), "--duration", "time", "--event", "event", "--event-value", "True", "--json"]);
    expect(JSON.parse(r.stdout).overall.events).toBe(6);
  });
});

describe("churn survival: bad input", () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-surv-"));
  const file = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const fail = (f: string, extra: string[] = []) => {
    const r = runChurn(["survival", "--input", f, "--duration", "d", "--event", "e", ...extra]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    return r.stderr;
  };
  it("a non-numeric duration names the line, column and value", () => {
    expect(fail(file("a.csv", "d,e\n3,1\nabc,0\n"))).toContain('a.csv, line 3, column d: duration "abc" is not a number');
  });
  it("a negative duration", () => {
    expect(fail(file("b.csv", "d,e\n3,1\n-2,0\n"))).toContain("b.csv, line 3, column d: duration -2 is negative");
  });
  it("an unknown column lists the columns found", () => {
    const err = fail(file("c.csv", "days,e\n3,1\n"));
    expect(err).toContain('c.csv has no column "d"');
    expect(err).toContain("Columns found: days, e");
  });
  it("an event value that is none of the accepted ones", () => {
    expect(fail(file("d.csv", "d,e\n3,maybe\n"))).toContain('line 2, column e: event value "maybe"');
  });
  it("an empty group, and a single group", () => {
    expect(fail(file("e.csv", "d,e,g\n3,1,a\n4,0,\n"), ["--group", "g"])).toContain("line 3, column g: the group is empty");
    expect(fail(file("f.csv", "d,e,g\n3,1,a\n4,0,a\n"), ["--group", "g"])).toContain('only one group ("a")');
  });
});
