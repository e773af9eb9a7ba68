/**
 * The Node flags `churn` runs with: package.json's scripts, bin/churn.ts's first line and the benchmarks pass them
 * (test/node-flags.test.ts keeps the three equal). V8's young generation at 64 MB a semi-space: a build allocates
 * short-lived rows by the million, and at the default 16 MB many were promoted and collected again (1M, one stage
 * alone: the actions stage's garbage collection 2.8–3.3 s → 1.9–2.2 s, the value stage's 2.2–2.4 → 1.3–1.5 s; the
 * main thread's young generation can take up to 96 MB more).
 */
export const CHURN_NODE_FLAGS = ["--max-semi-space-size=64"];
