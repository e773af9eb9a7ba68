/**
 * Progress of long steps (trees grown, snapshots built, customers scored, data loaders run), on stderr:
 * - on a terminal, one line redrawn in place: "  forest: trees grown 340/700 (49%), about 3 s left";
 * - when stderr is not a terminal (a log file, CI), a plain line at most every PLAIN_EVERY_MS, so a step shorter
 *   than that prints nothing and a long one shows it is moving;
 * - nothing at all when quiet.
 * The ETA is the elapsed time scaled by what is left (done / total so far); it is shown once a tenth is done.
 * A few lines of our own rather than a library: the needs are one line, a count and an ETA, with no dependency.
 */
export interface ProgressTask {
  /** `n` more units done. */
  tick(n?: number): void;
  /** The step is over: clears the terminal line. */
  done(): void;
}

export type Progress = (label: string, total: number) => ProgressTask;

export interface ProgressOptions {
  quiet?: boolean;
  /** Where lines go (default process.stderr). */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Overrides the stream's isTTY (tests). */
  tty?: boolean;
  /** Clock in ms (tests). */
  now?: () => number;
}

export const PLAIN_EVERY_MS = 2000;
const TTY_EVERY_MS = 100;

const NO_TASK: ProgressTask = { tick() {}, done() {} };

/** A progress reporter that prints nothing. */
export const silentProgress: Progress = () => NO_TASK;

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

/** "label n/total (p%), about T left" (the ETA once a tenth is done). */
export function progressLine(label: string, done: number, total: number, elapsedMs: number): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const count = `${label} ${done.toLocaleString("en")}/${total.toLocaleString("en")} (${Math.floor(100 * share)}%)`;
  if (share < 0.1 || share >= 1) return count;
  return `${count}, about ${formatSeconds(((elapsedMs / 1000) * (1 - share)) / share)} left`;
}

export function createProgress(options: ProgressOptions = {}): Progress {
  if (options.quiet) return silentProgress;
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  return (label, total) => {
    const started = now();
    let done = 0;
    let shown = started;
    let drawn = false;
    return {
      tick(n = 1) {
        done += n;
        const t = now();
        if (tty) {
          if (t - shown < TTY_EVERY_MS && done < total) return;
          stream.write(`\r\x1b[2K  ${progressLine(label, done, total, t - started)}`);
          drawn = true;
        } else {
          if (t - shown < PLAIN_EVERY_MS) return;
          stream.write(`  ${progressLine(label, done, total, t - started)}\n`);
        }
        shown = t;
      },
      done() {
        if (tty && drawn) stream.write("\r\x1b[2K");
        drawn = false;
      },
    };
  };
}
