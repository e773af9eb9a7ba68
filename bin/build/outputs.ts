/**
 * The files `churn` writes, and the rule that it never deletes or overwrites anything it did not create.
 *
 * - A site folder carries a marker file (SITE_MARKER). `--out DIR` is refused when DIR is the current folder or one of
 *   its parents, when it is a file, or when it is a non-empty folder without the marker.
 * - A warehouse path is refused when it holds anything but a DuckDB warehouse this tool wrote (its `warehouse_meta`
 *   table), so `--db ~/thesis.docx` or someone else's DuckDB file is never replaced.
 * - New outputs are built under temporary names and swapped in through a journal: the journal is written before the
 *   first rename and removed after the last, and `recoverInterruptedSwap` (run at the start of every writing command)
 *   puts the previous files back if a run was killed in between. So `kill -9` at any moment leaves the previous
 *   warehouse and site
 *   (or, once the journal is gone, the complete new ones).
 * - A warehouse's write-ahead log (`.wal`) moves and is deleted together with the file it belongs to.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { openDatabase, openWarehouse, tableExists } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";

/** Written into every site folder `churn build` makes; only a folder holding it may be replaced. */
export const SITE_MARKER = ".churn-site";

const isInside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && rel !== "..");
};

/** Refuse a site folder that the tool may not replace; returns the resolved path. */
export function checkSiteTarget(out: string, cwd = process.cwd()): string {
  const target = resolve(out);
  if (isInside(cwd, target)) {
    throw new UserError(
      `--out ${out} is the current folder or one of its parents; the site build replaces --out whole.`,
      {
        hint: "Pass a folder of its own for the site, e.g. --out dist or --out site.",
      },
    );
  }
  if (!existsSync(target)) return target;
  const stat = statSync(target);
  if (!stat.isDirectory()) {
    throw new UserError(`--out ${out} is a file, not a folder; churn will not replace it.`, {
      hint: "Pass a folder name for the site (it is created if missing).",
    });
  }
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes(SITE_MARKER)) {
    throw new UserError(`--out ${out} is a folder with other files in it (${entries.slice(0, 3).join(", ")}…).`, {
      hint:
        `churn only replaces an empty folder or a site it built (one with a ${SITE_MARKER} file). ` +
        "Pass a new folder.",
    });
  }
  return target;
}

const DUCKDB_MAGIC = "DUCK";

/** The first `bytes` bytes of a file (fewer when it is shorter). */
function readHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(bytes);
    return head.subarray(0, readSync(fd, head, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** True when `path` starts like a DuckDB database file (the magic bytes "DUCK" at offset 8). */
export function looksLikeDuckDb(path: string): boolean {
  const header = readHead(path, 12);
  return header.length === 12 && header.subarray(8, 12).toString("latin1") === DUCKDB_MAGIC;
}

/**
 * Refuse a warehouse path holding anything but a warehouse this tool wrote. `isWarehouse` opens the file (read-only)
 * and says whether it has the tool's warehouse_meta table.
 */
export async function checkWarehouseTarget(
  db: string,
  isWarehouse: (path: string) => Promise<boolean>,
): Promise<string> {
  const target = resolve(db);
  if (!existsSync(target)) return target;
  const refuse = (what: string) =>
    new UserError(`--db ${db} ${what}; churn will not overwrite it.`, {
      hint: "Pass a new file name for the warehouse (e.g. --db data/warehouse.duckdb), or move that file away.",
    });
  if (!statSync(target).isFile()) throw refuse("is a folder");
  if (!looksLikeDuckDb(target)) throw refuse("is not a DuckDB file");
  let ours = false;
  try {
    ours = await isWarehouse(target);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw refuse(`could not be opened to check that churn wrote it (${(error as Error).message.split("\n")[0]})`);
  }
  if (!ours) throw refuse("is a DuckDB database that churn did not write (it has no warehouse_meta table)");
  return target;
}

export interface SwapPair {
  /** The freshly built file or folder. */
  tmp: string;
  /** Where it goes. */
  target: string;
  /** A DuckDB file: its `.wal` travels with it. */
  wal?: boolean;
}

interface Journal {
  pid: number;
  moves: { target: string; old: string; wal: boolean }[];
}

const journalPath = (target: string) => join(dirname(target), `.${basename(target)}.churn-swap`);

/**
 * Swap every pair in at once. The previous targets are renamed aside (`<target>.old-<pid>`), the new ones renamed in,
 * then the old ones deleted; a journal beside the first target makes the whole swap recoverable (see above).
 */
export function swapIn(pairs: SwapPair[]): void {
  if (pairs.length === 0) return;
  const journalFile = journalPath(pairs[0]!.target);
  const journal: Journal = {
    pid: process.pid,
    moves: pairs.map((p) => ({ target: p.target, old: `${p.target}.old-${process.pid}`, wal: Boolean(p.wal) })),
  };
  writeFileSync(journalFile, JSON.stringify(journal));
  try {
    for (const [i, pair] of pairs.entries()) {
      const { old } = journal.moves[i]!;
      if (existsSync(pair.target)) renameSync(pair.target, old);
      if (pair.wal && existsSync(`${pair.target}.wal`)) renameSync(`${pair.target}.wal`, `${old}.wal`);
      renameSync(pair.tmp, pair.target);
      if (pair.wal && existsSync(`${pair.tmp}.wal`)) renameSync(`${pair.tmp}.wal`, `${pair.target}.wal`);
    }
  } catch (error) {
    rollBack(journal);
    rmSync(journalFile, { force: true });
    throw error;
  }
  rmSync(journalFile, { force: true });
  for (const move of journal.moves) removeOld(move);
}

function removeOld(move: Journal["moves"][number]): void {
  rmSync(move.old, { recursive: true, force: true });
  if (move.wal) rmSync(`${move.old}.wal`, { force: true });
}

function rollBack(journal: Journal): void {
  for (const move of [...journal.moves].reverse()) {
    if (!existsSync(move.old)) continue; // never moved aside: the target is still the previous one
    if (existsSync(move.target)) rmSync(move.target, { recursive: true, force: true });
    if (move.wal) rmSync(`${move.target}.wal`, { force: true });
    renameSync(move.old, move.target);
    if (move.wal && existsSync(`${move.old}.wal`)) renameSync(`${move.old}.wal`, `${move.target}.wal`);
  }
}

/**
 * Finish what a killed run left: a swap journal beside `target` means the run died mid-swap, so the previous files
 * go back. Returns true when something was restored.
 */
export function recoverInterruptedSwap(target: string): boolean {
  const file = journalPath(resolve(target));
  if (!existsSync(file)) return false;
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(file, "utf8")) as Journal;
  } catch {
    rmSync(file, { force: true }); // written but empty: killed before the first rename, nothing moved
    return false;
  }
  if (journal.pid !== process.pid && processAlive(journal.pid)) return false; // that run is still swapping
  rollBack(journal);
  rmSync(file, { force: true });
  return true;
}

/** Temporary files of earlier runs that were killed (`<target>.build-<pid>.tmp…`, `<target>.old-<pid>`), if dead. */
export function removeStaleTemporaries(target: string): void {
  const dir = dirname(resolve(target));
  if (!existsSync(dir)) return;
  const name = basename(target);
  const pattern = new RegExp(
    `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(?:build|old)-(\\d+)(?:\\.tmp)?(?:\\..*)?$`,
  );
  for (const entry of readdirSync(dir)) {
    const match = pattern.exec(entry);
    if (match && !processAlive(Number(match[1]))) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/**
 * A killed process whose parent died with it stays a zombie until init reaps it, and signal 0 still reaches it: on
 * Linux /proc says so (state Z), and such a process holds no lock. Elsewhere (no /proc) it counts as alive.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

export interface OutputLock {
  release(): void;
}

const lockPath = (target: string) => join(dirname(target), `.${basename(target)}.churn-lock`);

/**
 * One writer per output path: a lock file beside each target (`.<name>.churn-lock`, holding the owner's pid). A second
 * run is refused with a message naming the first; a lock left by a killed run (its pid gone) is taken over.
 */
export function lockOutputs(targets: string[], command: string): OutputLock {
  const taken: string[] = [];
  // Folders made for the outputs (--db reports/2026/w.duckdb): removed again on release while still empty.
  const made: string[] = [];
  const release = () => {
    for (const file of taken.splice(0)) {
      try {
        const owner = JSON.parse(readFileSync(file, "utf8")) as { pid: number };
        if (owner.pid === process.pid) rmSync(file, { force: true });
      } catch {
        // already gone
      }
    }
    for (const first of made.splice(0)) removeEmptyFolders(first);
  };
  try {
    for (const target of targets) {
      const file = lockPath(resolve(target));
      for (let attempt = 0; ; attempt++) {
        try {
          const first = mkdirSync(dirname(file), { recursive: true });
          if (first) made.push(first);
          const fd = openSync(file, "wx");
          writeFileSync(fd, JSON.stringify({ pid: process.pid, command, started: new Date().toISOString() }));
          closeSync(fd);
          taken.push(file);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw lockError(file, target, error);
          let owner: { pid?: number; command?: string; started?: string } = {};
          try {
            owner = JSON.parse(readFileSync(file, "utf8"));
          } catch {
            // being written this instant, or truncated by a kill: judged by its age below
          }
          const fresh = Date.now() - statSync(file).mtimeMs < 5000;
          if ((owner.pid && processAlive(owner.pid)) || (!owner.pid && fresh)) {
            throw new UserError(
              `${target} is being written by another churn run` +
                (owner.pid ? ` (pid ${owner.pid}, \`churn ${owner.command ?? "?"}\`, started ${owner.started})` : "") +
                ".",
              { hint: "Wait for that run to finish, then run this again; two runs on one output would corrupt it." },
            );
          }
          rmSync(file, { force: true }); // left by a run that was killed
        }
      }
    }
  } catch (error) {
    release();
    throw error;
  }
  process.once("exit", release);
  return { release };
}

/** Remove the folder `first` and the folders made inside it on the way to an output, as long as they are empty. */
function removeEmptyFolders(first: string): void {
  const remove = (dir: string): boolean => {
    try {
      for (const entry of readdirSync(dir)) if (!remove(join(dir, entry))) return false;
      rmdirSync(dir);
      return true;
    } catch {
      return false; // a file, or not empty: kept
    }
  };
  remove(first);
}

function lockError(file: string, target: string, error: unknown): Error {
  if (error instanceof UserError) return error;
  return new UserError(`Could not lock ${target} for writing (${(error as Error).message}).`, {
    hint: `Check that its folder is writable; a leftover ${basename(file)} from a killed run can be deleted.`,
  });
}

const cleanups = new Set<() => void>();
const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
const handlers = new Map<string, () => void>();

/**
 * Run `fn` if the process is interrupted (Ctrl-C, SIGTERM, SIGHUP) before `done()` is called, then exit with
 * 128 + signal. For temporary files: `kill -9` cannot be caught, and its leftovers are removed by the next run
 * (removeStaleTemporaries). The signal handlers are installed while some cleanup is pending and removed after the
 * last one is done, so a process that goes on after a build (tests, a long-lived caller) keeps its own handling.
 */
export function onInterrupt(fn: () => void): { done(): void } {
  cleanups.add(fn);
  if (handlers.size === 0) {
    for (const [signal, code] of Object.entries(SIGNAL_CODES)) {
      const handler = () => {
        for (const cleanup of [...cleanups].reverse()) {
          try {
            cleanup();
          } catch {
            // keep cleaning the others
          }
        }
        process.stderr.write(`\nchurn: interrupted (${signal}); the previous outputs are unchanged.\n`);
        process.exit(code);
      };
      handlers.set(signal, handler);
      process.once(signal, handler);
    }
  }
  return {
    done: () => {
      cleanups.delete(fn);
      if (cleanups.size > 0) return;
      for (const [signal, handler] of handlers) process.off(signal, handler);
      handlers.clear();
    },
  };
}

export interface GuardedOutputs {
  db: string;
  out?: string;
  release(): void;
  onInterrupt(fn: () => void): { done(): void };
}

/**
 * Everything a writing command does before it writes: finish any swap a killed run left, remove dead runs' temporary
 * files, refuse targets the tool did not create, and lock the targets for this run.
 */
export async function guardOutputs(targets: { db: string; out?: string }, command: string): Promise<GuardedOutputs> {
  const paths = [targets.db, ...(targets.out ? [targets.out] : [])].map((p) => resolve(p));
  for (const path of paths) recoverInterruptedSwap(path);
  const out = targets.out ? checkSiteTarget(targets.out) : undefined;
  if (out && isInside(resolve(targets.db), out))
    throw new UserError(
      `--db ${targets.db} is inside the site folder --out ${targets.out}, which a build replaces whole.`,
      {
        hint: "Keep the warehouse outside the site folder, e.g. --db data/warehouse.duckdb --out dist.",
      },
    );
  const lock = lockOutputs(paths, command);
  try {
    const db = await checkWarehouseTarget(targets.db, isChurnWarehouse);
    for (const path of paths) removeStaleTemporaries(path);
    return { db, ...(out ? { out } : {}), release: lock.release, onInterrupt };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Run a command that rewrites tables of an existing warehouse (`churn score`, `churn train --db`) on a scratch copy of
 * it, guarded and locked like a build: the copy is swapped in (swapIn, journaled) only when `work` succeeded and says
 * to keep it, else deleted, so a failed or killed run leaves the warehouse byte for byte as it was.
 */
export async function onWarehouseCopy<T>(
  db: string,
  command: string,
  work: (copy: string) => Promise<{ value: T; keep: boolean }>,
): Promise<T> {
  (await openWarehouse(db, { readOnly: true })).close(); // missing, not DuckDB, not ours: said as a reader says it
  const guard = await guardOutputs({ db }, command);
  const copy = `${guard.db}.build-${process.pid}.tmp`;
  const removeCopy = () => {
    for (const f of [copy, `${copy}.wal`]) rmSync(f, { force: true });
  };
  const interrupt = guard.onInterrupt(removeCopy);
  try {
    copyFileSync(guard.db, copy);
    if (existsSync(`${guard.db}.wal`)) copyFileSync(`${guard.db}.wal`, `${copy}.wal`);
    const { value, keep } = await work(copy);
    if (keep) swapIn([{ tmp: copy, target: guard.db, wal: true }]);
    return value;
  } finally {
    removeCopy();
    interrupt.done();
    guard.release();
  }
}

/** A DuckDB file with the warehouse_meta table that `churn ingest` writes. */
export async function isChurnWarehouse(path: string): Promise<boolean> {
  const db = await openDatabase(path, { readOnly: true });
  try {
    return await tableExists(db.connection, "warehouse_meta");
  } finally {
    db.close();
  }
}

/**
 * Write a file the tool makes (a CSV list, say) through a temporary file and a rename. An existing file is replaced
 * only
 * when `isOurs(its first bytes)` says the tool wrote it; anything else is refused.
 */
export function writeOwnFile(path: string, content: string | Uint8Array, isOurs: (head: string) => boolean): void {
  const target = resolve(path);
  if (existsSync(target)) {
    if (!statSync(target).isFile()) throw new UserError(`--out ${path} is a folder; pass a file name.`);
    if (!isOurs(readHead(target, 64).toString("utf8"))) {
      throw new UserError(`--out ${path} exists and was not written by churn; it will not be overwritten.`, {
        hint: "Pass a new file name, or move that file away.",
      });
    }
  }
  const tmp = `${target}.build-${process.pid}.tmp`;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(tmp, content);
  renameSync(tmp, target);
}
