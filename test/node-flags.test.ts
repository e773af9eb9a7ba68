/**
 * `churn` runs with bin/node-flags.ts's flags however it is started: package.json's scripts and bin/churn.ts's first
 * line pass the same ones, and a process started that way has the young generation they ask for.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHURN_NODE_FLAGS } from "../bin/node-flags.ts";

const ROOT = join(import.meta.dirname, "..");

describe("churn's Node flags", () => {
  it("are the same in package.json's scripts and bin/churn.ts's first line", () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    const flags = CHURN_NODE_FLAGS.join(" ");
    expect(scripts["churn"]).toBe(`tsx ${flags} bin/churn.ts`);
    expect(scripts["build"]).toBe(`tsx ${flags} bin/churn.ts build`);
    expect(readFileSync(join(ROOT, "bin", "churn.ts"), "utf8").split("\n")[0]).toBe(
      `#!/usr/bin/env -S npx tsx ${flags}`,
    );
  });

  it("let a process started through tsx grow its new space past the default 32 MB (to 128 MB)", () => {
    const tsx = join(ROOT, "node_modules", ".bin", "tsx");
    // Three million live objects make V8 grow the new space to its limit: 32 MB at the defaults.
    const code =
      "const v8 = require('node:v8'); const a = []; for (let i = 0; i < 3e6; i++) a.push({ i }); " +
      "console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)";
    const out = spawnSync(tsx, [...CHURN_NODE_FLAGS, "-e", code], { encoding: "utf8" });
    expect(Number(out.stdout.trim())).toBe(128 * 1024 * 1024);
  });
});
