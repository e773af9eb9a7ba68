/**
 * Every command `churn --help` lists exists: `churn <command> --help` answers with its usage and exit code 0, through
 * the real command line. (A listed command whose module is missing used to crash with a module-not-found error.)
 */
import { describe, expect, it } from "vitest";
import { runChurn } from "./helpers/cli.ts";

const listed = (() => {
  const help = runChurn(["--help"]);
  if (help.code !== 0) throw new Error(`churn --help failed: ${help.stderr}`);
  const section = help.stdout.split("Commands:")[1] ?? "";
  return section
    .split("\n")
    .map((line) => /^ {2}([a-z-]+) {2,}/.exec(line)?.[1])
    .filter((name): name is string => Boolean(name));
})();

describe("churn --help", () => {
  it("lists the commands", () => {
    expect(listed.length).toBeGreaterThanOrEqual(10);
    expect(listed).toContain("build");
  });

  it.each(listed)("churn %s --help prints its usage", (name) => {
    const r = runChurn([name, "--help"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Usage:[\\s\\S]*churn ${name}\\b`));
    expect(r.stderr).not.toMatch(/unexpected failure|Cannot find module/);
  });

  it("an unknown command is refused with the list, not a crash", () => {
    const r = runChurn(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
