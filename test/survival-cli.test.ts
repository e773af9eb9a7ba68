/**
 * `churn survival` through the real command line: the JSON of issue 3 on g3.csv, each bad input's message, and the
 * warehouse form (--db), checked against the build's own survival tables on the same warehouse.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { analyzeSurvival } from "../models/survival/analyze.ts";
import { analyzeQuadrantSurvival } from "../models/value/quadrant-survival.ts";
import { runChurn } from "./helpers/cli.ts";
import { describeWithReference, PROJECT_ROOT, referencePath } from "./helpers/reference.ts";

describeWithReference("churn survival on g3.csv", () => {
  it("prints overall, per-group and log-rank results (values as in lifelines' tests, REFERENCE.md 2.1)", () => {
    const r = runChurn([
      "survival",
      "--input",
      referencePath("survival", "g3.csv"),
      "--duration",
      "time",
      "--event",
      "event",
      "--group",
      "group",
      "--at",
      "9,19,32,34",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.overall).toMatchObject({ n: 17, events: 6, median: null });
    const control = out.groups.find((g: { name: string }) => g.name === "Control");
    expect(control.at.map((p: { survival: number }) => Number(p.survival.toFixed(3)))).toEqual([
      0.833, 0.667, 0.5, 0.333,
    ]);
    expect(control.at[0].lower).toBeCloseTo(0.2731, 3);
    expect(control.median).toBe(32);
    expect(out.logRank.df).toBe(1);
    expect(Math.abs(out.logRank.p - 0.0138)).toBeLessThan(1e-4);
  });

  it("prints each group's curve in the text report too", () => {
    const r = runChurn([
      "survival",
      "--input",
      referencePath("survival", "g3.csv"),
      "--duration",
      "time",
      "--event",
      "event",
      "--group",
      "group",
      "--at",
      "9",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "group = Control: 6 subjects, 4 events, median 32\n    S(9) = 0.833  [0.273, 0.975]  at risk 6",
    );
    expect(r.stdout).toContain("group = RIT: 11 subjects, 2 events, median not reached");
    expect(r.stdout).toMatch(/Log-rank: chi-square 6\.06\d on 1 df, p = 0\.0138/);
  });

  it("accepts --event-value for any event coding", () => {
    const r = runChurn([
      "survival",
      "--input",
      referencePath("survival", "g3.csv"),
      "--duration",
      "time",
      "--event",
      "event",
      "--event-value",
      "True",
      "--json",
    ]);
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
  /** A run that goes on without its unusable rows: its note names them, with their reasons and lines. */
  const setAside = (f: string, extra: string[] = []) => {
    const r = runChurn(["survival", "--input", f, "--duration", "d", "--event", "e", ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  it("a non-numeric or negative duration is set aside with its line and reason", () => {
    expect(setAside(file("a.csv", "d,e\n3,1\nabc,0\n4,0\n-2,1\n5,1\n"))).toContain(
      "a.csv: 2 of 5 rows left out (duration not a number 1, negative duration 1; first at line 3, 5).",
    );
  });
  it("a file none of whose rows can be used is refused, naming the first", () => {
    expect(fail(file("b.csv", "d,e\n2024-01-03,1\n-2,0\n"))).toContain(
      "b.csv: none of its 2 rows can be used (line 2: duration not a number).",
    );
  });
  it("an unknown column lists the columns found", () => {
    const err = fail(file("c.csv", "days,e\n3,1\n"));
    expect(err).toContain('c.csv has no column "d"');
    expect(err).toContain("Columns found: days, e");
  });
  it("an event value that is none of the accepted ones is set aside", () => {
    expect(setAside(file("d.csv", "d,e\n3,maybe\n4,1\n5,0\n"))).toContain(
      "d.csv: 1 of 3 rows left out (event not 1/0, true/false or yes/no 1; first at line 2).",
    );
  });
  it("an empty group is set aside; a single group is refused", () => {
    expect(setAside(file("e.csv", "d,e,g\n3,1,a\n4,0,\n5,1,b\n6,0,a\n7,1,b\n"), ["--group", "g"])).toContain(
      "e.csv: 1 of 5 rows left out (empty group 1; first at line 3).",
    );
    expect(fail(file("f.csv", "d,e,g\n3,1,a\n4,0,a\n"), ["--group", "g"])).toContain('only one group ("a")');
  });
});

describe("churn survival on the warehouse", () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-surv-db-"));
  const db = join(dir, "w.duckdb");
  const survival = (extra: string[]) => runChurn(["survival", "--db", db, ...extra]);
  type Out = {
    overall: { n: number; median: number | null };
    groups: { name: string; n: number; events: number; median: number | null }[];
    logRank: { chisq: number; df: number };
    time: string;
  };
  let build: {
    summary: { grouping: string; grp: string; n: number; events: number; median_days: number | null }[];
    logrank: { grouping: string; chisq: number; df: number }[];
  };

  beforeAll(async () => {
    const ingest = runChurn(["ingest", "--source", join(PROJECT_ROOT, "data", "sample"), "--db", db, "--json"]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const asOf = (JSON.parse(ingest.stdout) as { asOf: string }).asOf;
    // The build's own survival tables on the same warehouse, to compare the command line with.
    const w = await openDatabase(db);
    const ctx = { conn: w.connection, dbPath: db, asOf, seed: 1, log: () => {} };
    await analyzeSurvival(ctx);
    await analyzeQuadrantSurvival(ctx);
    build = {
      summary: await query(w.connection, "SELECT grouping, grp, n, events, median_days FROM survival_summary"),
      logrank: await query(w.connection, "SELECT grouping, chisq, df FROM survival_logrank"),
    };
    w.close();
  });

  it("gives tenure to churn by plan as the build computes it", () => {
    const r = survival(["--group", "plan", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Out;
    expect(out.time).toMatch(/tenure/);
    expect(out.overall.median).toBe(build.summary.find((s) => s.grouping === "all")!.median_days);
    expect(out.groups.map((g) => [g.name, g.n, g.events, g.median])).toEqual(
      build.summary.filter((s) => s.grouping === "plan").map((s) => [s.grp, s.n, s.events, s.median_days]),
    );
    const test = build.logrank.find((t) => t.grouping === "plan")!;
    expect(out.logRank.df).toBe(test.df);
    expect(out.logRank.chisq).toBeCloseTo(test.chisq, 9);
  });

  it("gives survival by quadrant from the landmark, and groups by any customers column", () => {
    const q = JSON.parse(survival(["--group", "quadrant", "--json"]).stdout) as Out;
    expect(q.time).toMatch(/days since the landmark \d{4}-\d{2}-\d{2}/);
    expect(q.groups.map((g) => [g.name, g.n, g.events])).toEqual(
      build.summary.filter((s) => s.grouping === "quadrant").map((s) => [s.grp, s.n, s.events]),
    );
    expect(q.logRank.chisq).toBeCloseTo(build.logrank.find((t) => t.grouping === "quadrant")!.chisq, 9);
    const industry = JSON.parse(survival(["--group", "industry", "--json"]).stdout) as Out;
    expect(industry.groups.length).toBeGreaterThan(2);
    expect(industry.groups.reduce((s, g) => s + g.n, 0)).toBe(industry.overall.n);
  });

  it("names what is wrong: an unknown column, a column of unique values, file flags, no source", () => {
    const unknown = survival(["--group", "nope"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('The customers table has no column "nope"');
    expect(unknown.stderr).toMatch(/Group by one of: plan \(at first subscription\), quadrant, .*segment/);
    expect(survival(["--group", "email"]).stderr).toContain("Every value of email has fewer than 10 customers");
    expect(survival(["--duration", "d"]).stderr).toContain("drop --duration");
    const neither = runChurn(["survival"]);
    expect(neither.stderr).toContain("needs either --input FILE (a flat file) or --db FILE (the warehouse)");
    for (const r of [unknown, neither]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
