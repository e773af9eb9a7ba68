/**
 * `npm run bench -- --browser [--customers N | --site DIR]` (or `npx tsx bench/at-risk-browser.ts …`): the /at-risk
 * page at scale, in headless Chromium. Builds a business of N customers (default 100,000) unless --site names a built
 * site, then prints and writes to bench/at-risk-browser.json:
 *   - the Arrow file's size against the same rows as JSON (target ≤ 25%);
 *   - time from navigation to an interactive page: list decoded, filters and table drawn (target ≤ 2 s);
 *   - a filter change and a search, from the input event to the updated count and table (target ≤ 200 ms each),
 *     the median and worst of several runs.
 * Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH). The machine's load average is printed beside the
 * figures: on a shared 2-core machine a busy neighbour can double them.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { tableFromIPC } from "apache-arrow";
// @ts-expect-error: a plain browser module without type declarations
import { listFromArrow, plainRows } from "../src/components/at-risk-list.js";
import { launchBrowser } from "../test/helpers/browser.ts";
import { serveStatic } from "../test/helpers/static-server.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const argValue = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const customers = Number(argValue("--customers") ?? 100_000);
const runs = Number(argValue("--runs") ?? 5);
const TARGETS = { arrowShare: 0.25, interactiveMs: 2000, filterMs: 200, searchMs: 200 };

function churn(commandArgs: string[]): void {
  const tsx = join(ROOT, "node_modules", ".bin", "tsx");
  const result = spawnSync(tsx, [join(ROOT, "bin", "churn.ts"), ...commandArgs], { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`churn ${commandArgs[0]} failed:\n${result.stderr}`);
}

function builtSite(): string {
  const given = argValue("--site");
  if (given) return resolve(given);
  const work = join(ROOT, "bench", "out", `browser-${customers}`);
  mkdirSync(work, { recursive: true });
  process.stderr.write(`bench: generating ${customers} customers and building the site in ${work}\n`);
  churn(["generate", "--customers", String(customers), "--out", join(work, "exports")]);
  const db = join(work, "warehouse.duckdb");
  churn(["build", "--source", join(work, "exports"), "--db", db, "--out", join(work, "site"), "--quiet"]);
  return join(work, "site");
}

/** The built site's at-risk data file with this extension (Framework adds a content hash to the name). */
function dataFile(site: string, ext: string): string {
  const dir = join(site, "_file", "data");
  const name = readdirSync(dir).find((f) => new RegExp(`^at-risk\\.[0-9a-f]+\\.${ext}$`).test(f));
  if (!name) throw new Error(`No at-risk .${ext} file in ${dir}: is this a site built by this project?`);
  return join(dir, name);
}

/**
 * In the page: set an input, fire its input event, and time until the count of shown customers changes and the next
 * frame is painted. A string, so that no bundler helper leaks into the page.
 */
const TIMED_CHANGE = `async (selector, value) => {
  const input = document.querySelector(selector);
  const before = document.querySelector("#at-risk-count")?.textContent;
  const t0 = performance.now();
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  await new Promise((done) => {
    function check() {
      if (document.querySelector("#at-risk-count")?.textContent !== before) requestAnimationFrame(() => done());
      else requestAnimationFrame(check);
    }
    check();
  });
  return performance.now() - t0;
}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const site = builtSite();
const file = dataFile(site, "arrow");
const bytes = readFileSync(file);
const list = listFromArrow(tableFromIPC(bytes)) as { rows: Record<string, unknown>[]; columns: string[] };
const jsonBytes = Buffer.byteLength(JSON.stringify(plainRows(list)));
const lastId = String(list.rows.at(-1)?.["customer_id"] ?? "");
const segments = [...new Set(list.rows.map((r) => r["segment"]).filter((s) => s != null))] as string[];

const server = await serveStatic(site);
const browser = await launchBrowser();
const interactive: number[] = [];
const baseline: number[] = [];
const filter: number[] = [];
const search: number[] = [];
try {
  for (let run = 0; run < runs; run++) {
    // Baseline on the same machine at the same moment: an aggregates-only page (data quality) drawn.
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await other.goto(`${server.url}/data-quality`);
    await other.waitForFunction(() => document.querySelector("#observablehq-main figure svg"), null, {
      timeout: 60_000,
      polling: "raf",
    });
    baseline.push(await other.evaluate(() => performance.now()));
    await other.close();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/at-risk`);
    await page.waitForFunction(
      () =>
        document.querySelector("#at-risk-count") &&
        document.querySelector("#observablehq-main table tbody tr") &&
        document.querySelector("#observablehq-main form select"),
      null,
      { timeout: 60_000, polling: "raf" },
    );
    interactive.push(await page.evaluate(() => performance.now()));
    // One timed change: from the input event to the new count on screen and the next painted frame.
    const timed = (selector: string, value: string) =>
      page.evaluate(`(${TIMED_CHANGE})(${JSON.stringify(selector)}, ${JSON.stringify(value)})`) as Promise<number>;
    const segmentSelect = await page.evaluateHandle(() =>
      [...document.querySelectorAll("#observablehq-main form label")]
        .find((l) => l.textContent?.trim() === "Segment")
        ?.parentElement?.querySelector("select"),
    );
    const segmentId = await segmentSelect.evaluate((s) => {
      if (!s) return "";
      s.id ||= "bench-segment";
      return `#${s.id}`;
    });
    const option = await page.evaluate(
      ({ id, name }) =>
        [...document.querySelectorAll<HTMLOptionElement>(`${id} option`)].find((o) => o.textContent === name)?.value,
      { id: segmentId, name: segments[run % segments.length]! },
    );
    filter.push(await timed(segmentId, option ?? "0"));
    await timed(segmentId, "0"); // back to "all"
    const searchInput = "#observablehq-main input[type=text]";
    search.push(await timed(searchInput, lastId));
    const found = await page.locator("#at-risk-count").textContent();
    if (!/^1 of /.test(found ?? "")) throw new Error(`search for ${lastId} gave "${found}", expected 1 row`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}

const result = {
  customers,
  rows: list.rows.length,
  columns: list.columns.length,
  arrowBytes: bytes.length,
  jsonBytes,
  arrowShare: bytes.length / jsonBytes,
  csvBytes: statSync(dataFile(site, "csv")).size,
  interactiveMs: { median: median(interactive), max: Math.max(...interactive), runs: interactive },
  baselineMs: { median: median(baseline), max: Math.max(...baseline), runs: baseline },
  filterMs: { median: median(filter), max: Math.max(...filter), runs: filter },
  searchMs: { median: median(search), max: Math.max(...search), runs: search },
  loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
  targets: TARGETS,
  date: new Date().toISOString().slice(0, 10),
};
const ok = (x: boolean) => (x ? "met" : "NOT MET");
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const ms = (t: { median: number; max: number }) => `median ${t.median.toFixed(0)} ms, worst ${t.max.toFixed(0)} ms`;
const lines = [
  `/at-risk at ${result.rows.toLocaleString("en-US")} scored customers ` +
    `(${customers.toLocaleString("en-US")} in the business), ${result.columns} columns`,
  `  Arrow file      ${mib(result.arrowBytes)} = ${(100 * result.arrowShare).toFixed(1)}% of the same rows as JSON ` +
    `(${mib(jsonBytes)}); CSV ${mib(result.csvBytes)}   target ≤ 25%: ${ok(result.arrowShare <= TARGETS.arrowShare)}`,
  `  interactive     ${ms(result.interactiveMs)} after navigation   target ≤ 2,000 ms: ` +
    ok(result.interactiveMs.max <= TARGETS.interactiveMs),
  `  (baseline: the data-quality page, aggregates only, drawn in ${ms(result.baselineMs)})`,
  `  segment filter  ${ms(result.filterMs)}   target ≤ 200 ms: ${ok(result.filterMs.max <= TARGETS.filterMs)}`,
  `  search (last)   ${ms(result.searchMs)}   target ≤ 200 ms: ${ok(result.searchMs.max <= TARGETS.searchMs)}`,
  `  ${runs} page loads; load average ${result.loadAverage.join(", ")} (${cpus().length} cores)`,
];
process.stdout.write(`${lines.join("\n")}\n`);
writeFileSync(join(ROOT, "bench", "at-risk-browser.json"), `${JSON.stringify(result, null, 2)}\n`);
