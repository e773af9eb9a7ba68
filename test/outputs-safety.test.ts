/**
 * Nothing the tool did not create is ever deleted or overwritten, and an interrupted swap is undone:
 * bin/build/outputs.ts on its own (folders, warehouses, journals, locks), then through the real command line.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkSiteTarget,
  lockOutputs,
  recoverInterruptedSwap,
  removeStaleTemporaries,
  SITE_MARKER,
  swapIn,
} from "../bin/build/outputs.ts";
import { openDatabase } from "../loaders/db.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-outputs-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

describe("site folder targets", () => {
  it("refuses the current folder and its parents", () => {
    const dir = tempDir();
    const inner = join(dir, "a", "b");
    mkdirSync(inner, { recursive: true });
    expect(() => checkSiteTarget(inner, inner)).toThrow(/current folder or one of its parents/);
    expect(() => checkSiteTarget(dir, inner)).toThrow(/current folder or one of its parents/);
    expect(() => checkSiteTarget("/", inner)).toThrow(/current folder or one of its parents/);
  });

  it("refuses a non-empty folder without the marker and a file; accepts empty, missing and marked folders", () => {
    const dir = tempDir();
    const docs = join(dir, "docs");
    mkdirSync(docs);
    writeFileSync(join(docs, "thesis.txt"), "precious");
    expect(() => checkSiteTarget(docs, PROJECT_ROOT)).toThrow(/other files in it \(thesis.txt/);
    writeFileSync(join(dir, "file"), "x");
    expect(() => checkSiteTarget(join(dir, "file"), PROJECT_ROOT)).toThrow(/is a file/);
    mkdirSync(join(dir, "empty"));
    expect(checkSiteTarget(join(dir, "empty"), PROJECT_ROOT)).toBe(join(dir, "empty"));
    expect(checkSiteTarget(join(dir, "new"), PROJECT_ROOT)).toBe(join(dir, "new"));
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "site", SITE_MARKER), "");
    writeFileSync(join(dir, "site", "index.html"), "");
    expect(checkSiteTarget(join(dir, "site"), PROJECT_ROOT)).toBe(join(dir, "site"));
  });
});

describe("swapping outputs in", () => {
  function previousAndNext(dir: string) {
    writeFileSync(join(dir, "w.duckdb"), "old warehouse");
    writeFileSync(join(dir, "w.duckdb.wal"), "old wal");
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "site", "index.html"), "old site");
    writeFileSync(join(dir, "w.duckdb.build-1.tmp"), "new warehouse");
    mkdirSync(join(dir, "site.build-1.tmp"));
    writeFileSync(join(dir, "site.build-1.tmp", "index.html"), "new site");
    return [
      { tmp: join(dir, "w.duckdb.build-1.tmp"), target: join(dir, "w.duckdb"), wal: true },
      { tmp: join(dir, "site.build-1.tmp"), target: join(dir, "site") },
    ];
  }

  it("replaces both, deletes the old WAL with its warehouse, and leaves no journal or old copies", () => {
    const dir = tempDir();
    swapIn(previousAndNext(dir));
    expect(readFileSync(join(dir, "w.duckdb"), "utf8")).toBe("new warehouse");
    expect(readFileSync(join(dir, "site", "index.html"), "utf8")).toBe("new site");
    expect(readdirSync(dir).sort()).toEqual(["site", "w.duckdb"]);
  });

  it("puts the previous files back when a run died between the renames (journal left behind)", () => {
    const dir = tempDir();
    const pairs = previousAndNext(dir);
    // What a kill -9 after the warehouse's renames and before the site's leaves: the journal of a dead process,
    // the old warehouse and WAL moved aside, the new warehouse in place, the site not yet touched.
    const deadPid = 999_999_9;
    const old = `${pairs[0]!.target}.old-${deadPid}`;
    writeFileSync(
      join(dir, ".w.duckdb.churn-swap"),
      JSON.stringify({
        pid: deadPid,
        moves: [
          { target: pairs[0]!.target, old, wal: true },
          { target: pairs[1]!.target, old: `${pairs[1]!.target}.old-${deadPid}`, wal: false },
        ],
      }),
    );
    renameSync(pairs[0]!.target, old);
    renameSync(`${pairs[0]!.target}.wal`, `${old}.wal`);
    renameSync(pairs[0]!.tmp, pairs[0]!.target);
    expect(recoverInterruptedSwap(join(dir, "w.duckdb"))).toBe(true);
    expect(readFileSync(join(dir, "w.duckdb"), "utf8")).toBe("old warehouse");
    expect(readFileSync(join(dir, "w.duckdb.wal"), "utf8")).toBe("old wal");
    expect(readFileSync(join(dir, "site", "index.html"), "utf8")).toBe("old site");
    expect(existsSync(join(dir, ".w.duckdb.churn-swap"))).toBe(false);
  });

  it("removes temporaries of dead runs only", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "w.duckdb.build-9999999.tmp"), "");
    writeFileSync(join(dir, "w.duckdb.build-9999999.tmp.wal"), "");
    writeFileSync(join(dir, `w.duckdb.build-${process.pid}.tmp`), "");
    writeFileSync(join(dir, "w.duckdb.backup"), "");
    removeStaleTemporaries(join(dir, "w.duckdb"));
    expect(readdirSync(dir).sort()).toEqual([`w.duckdb.build-${process.pid}.tmp`, "w.duckdb.backup"].sort());
  });
});

describe("one writer per output", () => {
  it("refuses a second lock while the first is held, and takes over a dead run's lock", () => {
    const dir = tempDir();
    const target = join(dir, "w.duckdb");
    const first = lockOutputs([target], "build");
    const lockFile = join(dir, ".w.duckdb.churn-lock");
    // Another live process holds it: pretend with our parent's pid, which is alive.
    writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, command: "build", started: "then" }));
    expect(() => lockOutputs([target], "score")).toThrow(/being written by another churn run \(pid/);
    writeFileSync(lockFile, JSON.stringify({ pid: 9_999_999, command: "build", started: "then" }));
    const second = lockOutputs([target], "score");
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
    second.release();
    first.release();
    expect(existsSync(lockFile)).toBe(false);
  });
});

describe("new output folders", () => {
  it("churn ingest makes the --db folder when it is missing, and removes it again when the run fails", () => {
    const dir = tempDir();
    const source = join(PROJECT_ROOT, "test", "fixtures", "ingest");
    const ok = runChurn(["ingest", "--source", source, "--db", join(dir, "reports", "2026", "w.duckdb")]);
    expect(ok.stderr).not.toMatch(/error/i);
    expect(ok.code).toBe(0);
    expect(readdirSync(join(dir, "reports", "2026"))).toEqual(["w.duckdb"]);
    const failed = runChurn(["ingest", "--source", join(dir, "missing"), "--db", join(dir, "new", "w.duckdb")]);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/missing/);
    expect(readdirSync(dir).sort()).toEqual(["reports"]);
  });
});

describe("the command line never replaces what it did not create", () => {
  it("churn build --out refuses a folder with other files, and the current folder, before doing any work", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "docs"));
    writeFileSync(join(dir, "docs", "thesis.txt"), "precious");
    const r = runChurn(["build", "--db", join(dir, "w.duckdb"), "--out", join(dir, "docs")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/other files in it/);
    expect(r.stderr).not.toMatch(/unexpected failure|at .*\.ts:\d+/);
    expect(readFileSync(join(dir, "docs", "thesis.txt"), "utf8")).toBe("precious");
    expect(existsSync(join(dir, "w.duckdb"))).toBe(false);
    const inside = runChurn(["build", "--db", join(dir, "site", "w.duckdb"), "--out", join(dir, "site")]);
    expect(inside.code).not.toBe(0);
    expect(inside.stderr).toMatch(/inside the site folder/);
    const here = runChurn(["build", "--db", join(dir, "w.duckdb"), "--out", "."], { cwd: dir });
    expect(here.code).not.toBe(0);
    expect(here.stderr).toMatch(/current folder/);
    expect(readdirSync(dir).sort()).toEqual(["docs"]);
  });

  it("churn ingest --db refuses a file that is not a warehouse: text, or someone else's DuckDB database", async () => {
    const dir = tempDir();
    const source = join(PROJECT_ROOT, "test", "fixtures", "ingest");
    writeFileSync(join(dir, "notes.duckdb"), "my notes");
    const text = runChurn(["ingest", "--source", source, "--db", join(dir, "notes.duckdb")]);
    expect(text.code).not.toBe(0);
    expect(text.stderr).toMatch(/is not a DuckDB file; churn will not overwrite it/);
    expect(readFileSync(join(dir, "notes.duckdb"), "utf8")).toBe("my notes");

    const other = join(dir, "other.duckdb");
    const db = await openDatabase(other);
    await db.connection.run("CREATE TABLE mine AS SELECT 42 AS answer");
    await db.connection.run("CHECKPOINT");
    db.close();
    const before = sha(other);
    const foreign = runChurn(["ingest", "--source", source, "--db", other]);
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/churn did not write/);
    expect(sha(other)).toBe(before);
  });
});
