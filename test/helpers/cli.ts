/** Run the real `churn` command line in a child process (tsx), as a user would. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PROJECT_ROOT } from "./reference.ts";

/** tsx's loader by absolute URL, so the command runs from any working folder. */
export const TSX_LOADER = pathToFileURL(join(PROJECT_ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runChurn(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): CliResult {
  // node --import tsx rather than the tsx binary: tsx runs the program in a child process, which a timeout's kill
  // would leave running; this way the process killed is the command itself.
  const result = spawnSync(process.execPath, ["--import", TSX_LOADER, join(PROJECT_ROOT, "bin", "churn.ts"), ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env },
    encoding: "utf8",
    timeout: options.timeoutMs ?? 300_000,
    killSignal: "SIGKILL",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}
