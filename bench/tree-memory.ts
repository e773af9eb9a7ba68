/**
 * Peak resident memory of a process tree: the sum of VmRSS over a process and all its descendants (the build and the
 * Framework process it starts beside its last stage), sampled from Linux's /proc every `everyMs`. GNU time's maximum
 * resident set size is that of the largest single process, which undercounts a tree whose processes overlap.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Parent pid of every process, from /proc/PID/stat (the field after the command name in parentheses). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(Number(entry), ppid);
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

/** The summed VmRSS (MiB) of `root` and its descendants now. */
export function treeRssMiB(root: number): number {
  const parent = parents();
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent)
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
  }
  let kib = 0;
  for (const pid of tree) kib += rssKiB(pid);
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
