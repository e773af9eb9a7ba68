/** Run the real `churn` command line in a child process (tsx), as a user would. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "./reference.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runChurn(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): CliResult {
  const tsx = join(PROJECT_ROOT, "node_modules", ".bin", "tsx");
  const result = spawnSync(tsx, [join(PROJECT_ROOT, "bin", "churn.ts"), ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env },
    encoding: "utf8",
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}
