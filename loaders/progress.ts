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

/** A Progress that can also print the command's own lines without breaking the progress line drawn on a terminal. */
export interface TerminalProgress extends Progress {
  /** Write `line` and a newline to `out`: a progress line drawn on the terminal is cleared first and drawn again. */
  print(line: string, out: { write(text: string): unknown }): void;
}

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

export function createProgress(options: ProgressOptions = {}): TerminalProgress {
  if (options.quiet) return Object.assign(() => NO_TASK, { print: printPlain });
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  // The line drawn on the terminal now (the last task to draw), for print to draw again.
  let onScreen: string | null = null;
  const progress: Progress = (label, total) => {
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
          onScreen = `  ${progressLine(label, done, total, t - started)}`;
          stream.write(`\r\x1b[2K${onScreen}`);
          drawn = true;
        } else {
          if (t - shown < PLAIN_EVERY_MS) return;
          stream.write(`  ${progressLine(label, done, total, t - started)}\n`);
        }
        shown = t;
      },
      done() {
        if (tty && drawn) {
          stream.write("\r\x1b[2K");
          onScreen = null;
        }
        drawn = false;
      },
    };
  };
  const print = (line: string, out: { write(text: string): unknown }) => {
    if (onScreen === null) return printPlain(line, out);
    stream.write("\r\x1b[2K");
    out.write(`${line}\n`);
    stream.write(onScreen);
  };
  return Object.assign(progress, { print });
}

function printPlain(line: string, out: { write(text: string): unknown }): void {
  out.write(`${line}\n`);
}
