/**
 * Progress lines (loaders/progress.ts): count and ETA redrawn in place on a terminal, plain lines at most every
 * PLAIN_EVERY_MS otherwise, nothing when quiet; and `churn train` prints none with --quiet.
 */
import { describe, expect, it } from "vitest";
import { createProgress, PLAIN_EVERY_MS, progressLine } from "../loaders/progress.ts";

function recorder(tty: boolean) {
  const out: string[] = [];
  let clock = 0;
  const progress = createProgress({ stream: { write: (t: string) => out.push(t) }, tty, now: () => clock });
  return { out, progress, advance: (ms: number) => (clock += ms) };
}

describe("progress", () => {
  it("estimates the time left from the pace so far (hand-computed)", () => {
    // 25 of 100 done in 10 s: 75 left at 2.5 per second → 30 s.
    expect(progressLine("trees grown", 25, 100, 10_000)).toBe("trees grown 25/100 (25%), about 30 s left");
    // Below a tenth done there is no estimate yet; done shows no estimate either.
    expect(progressLine("trees grown", 5, 100, 1000)).toBe("trees grown 5/100 (5%)");
    expect(progressLine("snapshots built", 13, 13, 4000)).toBe("snapshots built 13/13 (100%)");
    // 1,000 of 4,000 in 60 s → 180 s left, shown in minutes.
    expect(progressLine("customers scored", 1000, 4000, 60_000)).toBe(
      "customers scored 1,000/4,000 (25%), about 3 min 0 s left",
    );
  });

  it("redraws one terminal line and clears it when done", () => {
    const r = recorder(true);
    const task = r.progress("trees grown", 10);
    for (let i = 0; i < 10; i++) {
      r.advance(150);
      task.tick();
    }
    task.done();
    expect(r.out.length).toBe(11);
    expect(r.out.every((t) => t.startsWith("\r\x1b[2K"))).toBe(true);
    expect(r.out[4]).toContain("trees grown 5/10 (50%), about 1 s left");
    expect(r.out.at(-1)).toBe("\r\x1b[2K");
  });

  it("prints the command's own lines above the progress line on a terminal, and plainly elsewhere", () => {
    const r = recorder(true);
    const lines: string[] = [];
    const out = { write: (t: string) => lines.push(t) };
    r.progress.print("ingest done", out);
    expect(r.out).toEqual([]);
    const task = r.progress("site: data files", 4);
    r.advance(150);
    task.tick();
    r.progress.print("actions done", out);
    // Cleared, the line printed, then the progress line drawn again as it was.
    expect(r.out.slice(-2)).toEqual(["\r\x1b[2K", r.out.at(-3)!.slice("\r\x1b[2K".length)]);
    expect(lines).toEqual(["ingest done\n", "actions done\n"]);
    task.done();
    r.progress.print("forecast done", out);
    expect(r.out.at(-1)).toBe("\r\x1b[2K");
    const plain = recorder(false);
    plain.progress.print("a line", out);
    expect(plain.out).toEqual([]);
    expect(lines.at(-1)).toBe("a line\n");
  });

  it("writes plain lines, at most one per interval, when not on a terminal", () => {
    const r = recorder(false);
    const task = r.progress("snapshots built", 100);
    for (let i = 0; i < 100; i++) {
      r.advance(PLAIN_EVERY_MS / 10);
      task.tick();
    }
    task.done();
    // 100 ticks over 10 intervals: one line per interval, each a whole line without control characters.
    expect(r.out.length).toBe(10);
    for (const line of r.out) expect(line).toMatch(/^ {2}snapshots built \d+\/100 \(\d+%\)(, about \d+ s left)?\n$/);
  });

  it("a short step prints nothing when not on a terminal", () => {
    const r = recorder(false);
    const task = r.progress("site: data loaders run", 3);
    for (let i = 0; i < 3; i++) {
      r.advance(100);
      task.tick();
    }
    task.done();
    expect(r.out).toEqual([]);
  });

  it("prints nothing when quiet", () => {
    const out: string[] = [];
    const task = createProgress({ quiet: true, stream: { write: (t: string) => out.push(t) }, tty: true })("x", 2);
    task.tick();
    task.tick();
    task.done();
    expect(out).toEqual([]);
  });
});
