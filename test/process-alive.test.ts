/**
 * A lock left by a killed run is taken over only when its process is gone: processAlive counts a running process as
 * alive and a zombie (killed, not yet reaped, as a killed build's node process is while init catches up) as gone.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { processAlive } from "../bin/build/outputs.ts";

describe("processAlive", () => {
  it("is true for a running process and false for a zombie", async () => {
    expect(processAlive(process.pid)).toBe(true);
    // The shell becomes `sleep 5` and never reaps its background child, which is a zombie once it ends.
    const parent = spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 5"], { stdio: ["ignore", "pipe", "ignore"] });
    const pid = await new Promise<number>((resolve) => parent.stdout.once("data", (d) => resolve(Number(String(d)))));
    try {
      expect(processAlive(pid)).toBe(true);
      await new Promise((r) => setTimeout(r, 600));
      if (existsSync(`/proc/${pid}/stat`)) expect(processAlive(pid)).toBe(false);
    } finally {
      parent.kill("SIGKILL");
    }
  });
});
