/**
 * A vitest reporter that turns a stalled run into a fast, named failure. It tracks which test files are queued,
 * running and finished; when nothing has happened for CHURN_TEST_STALL_SECONDS (default 480: no single file here
 * needs more than ~3 minutes) it prints the files still running or waiting, with how long each has run, and exits 1.
 * A hung worker would otherwise sit until CI's own limit; this names the stuck file within minutes.
 */
import type { Reporter, TestCase, TestModule } from "vitest/node";

const relativeName = (module: TestModule) => module.moduleId.replace(`${process.cwd()}/`, "");

export default class WatchdogReporter implements Reporter {
  private readonly stallMs = Number(process.env["CHURN_TEST_STALL_SECONDS"] ?? 480) * 1000;
  private lastEvent = Date.now();
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  onInit(): void {
    this.timer = setInterval(() => this.check(), 5000);
    this.timer.unref();
  }

  onTestModuleQueued(module: TestModule): void {
    this.touch();
    this.queued.add(relativeName(module));
  }

  onTestModuleStart(module: TestModule): void {
    this.touch();
    const name = relativeName(module);
    this.queued.delete(name);
    this.running.set(name, Date.now());
  }

  onTestCaseResult(_test: TestCase): void {
    this.touch();
  }

  onTestModuleEnd(module: TestModule): void {
    this.touch();
    this.running.delete(relativeName(module));
  }

  onTestRunEnd(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private touch(): void {
    this.lastEvent = Date.now();
  }

  private check(): void {
    const idle = Date.now() - this.lastEvent;
    if (idle < this.stallMs) return;
    const now = Date.now();
    const lines = [
      `\nwatchdog: no test progress for ${Math.round(idle / 1000)} s; stopping the run as failed.`,
      ...[...this.running].map(
        ([file, since]) => `  still running: ${file} (for ${Math.round((now - since) / 1000)} s)`,
      ),
      ...[...this.queued].map((file) => `  never started: ${file}`),
      "  (CHURN_TEST_STALL_SECONDS sets the limit.)",
    ];
    process.stderr.write(`${lines.join("\n")}\n`);
    process.exit(1);
  }
}
