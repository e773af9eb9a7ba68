/**
 * Peak resident memory of a process tree: the sum of VmRSS over a process and all its descendants (the build and the
 * Framework process it starts beside its last stage), sampled from Linux's /proc every `everyMs`. GNU time's maximum
 * resident set size is that of the largest single process, which undercounts a tree whose processes overlap.
 * A descendant younger than YOUNG_SECONDS is left out: between fork and exec a child shows its parent's whole
 * resident memory, which it only shares (a 1M build's tree once read 4,151 MiB for one sample, the build itself
 * 2,571 MiB, as Framework's process was being started).
 */
import { readdirSync, readFileSync } from "node:fs";

const YOUNG_SECONDS = 0.2;
/** Linux reports process start times in USER_HZ ticks, 100 a second on every architecture it runs on. */
const TICKS_PER_SECOND = 100;

/**
 * Parent pid and age in seconds of every process, from /proc/PID/stat (the fields after the command name in
 * parentheses: state, ppid, …, starttime is the 20th) and /proc/uptime.
 */
function processes(): Map<number, { ppid: number; age: number }> {
  const out = new Map<number, { ppid: number; age: number }>();
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(entry), { ppid: Number(fields[1]), age: uptime - Number(fields[19]) / TICKS_PER_SECOND });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** VmRSS of one process in KiB (0 when it has ended). */
function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The summed VmRSS (MiB) of `root` and its descendants now (but those younger than YOUNG_SECONDS). */
export function treeRssMiB(root: number): number {
  const all = processes();
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { ppid }] of all)
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
  }
  let kib = 0;
  for (const pid of tree) if (pid === root || (all.get(pid)?.age ?? 0) >= YOUNG_SECONDS) kib += rssKiB(pid);
  return kib / 1024;
}

/** Sample the tree under `root` until stop(), which returns the peak in MiB (NaN without /proc). */
export function sampleTreeRss(root: number, everyMs = 250): { stop(): number } {
  let supported = true;
  try {
    readdirSync("/proc");
  } catch {
    supported = false;
  }
  let peak = 0;
  const sample = () => {
    if (supported) peak = Math.max(peak, treeRssMiB(root));
  };
  const timer = setInterval(sample, everyMs);
  sample();
  return {
    stop() {
      clearInterval(timer);
      return supported ? peak : Number.NaN;
    },
  };
}
