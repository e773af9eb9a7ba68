/**
 * The published site, checked as a person would see it: the real `churn build` on the bundled sample, served on
 * 127.0.0.1 and opened in headless Chromium. Every page loads with no console error, no failed request and nothing
 * requested off-site; charts render; inputs work; pages fit a phone screen; a screenshot of each page is saved to
 * test-output/screenshots/ for a person to look at.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvParse } from "d3-dsv";
import {
  clippedTickLabels,
  collidingTickLabels,
  launchBrowser,
  marksOutsideCharts,
  watchPage,
} from "./helpers/browser.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";
import { serveStatic } from "./helpers/static-server.ts";

const PAGES = [
  { path: "/", name: "index", charts: 6 },
  { path: "/cohorts", name: "cohorts", charts: 5 },
  { path: "/survival", name: "survival", charts: 1 },
  { path: "/value", name: "value", charts: 4 },
  { path: "/segments", name: "segments", charts: 2 },
  { path: "/at-risk", name: "at-risk", charts: 1 },
  { path: "/plan", name: "plan", charts: 2 },
  { path: "/model", name: "model", charts: 5 },
  { path: "/data-quality", name: "data-quality", charts: 2 },
];
const SCREENSHOTS = join(PROJECT_ROOT, "test-output", "screenshots");

let site: string;
let server: { url: string; close: () => Promise<void> };
let browser: Browser;

beforeAll(async () => {
  site = process.env["CHURN_SITE_DIR"] ?? "";
  if (!site) {
    const dir = mkdtempSync(join(tmpdir(), "churn-site-"));
    site = join(dir, "site");
    const build = runChurn([
      "build",
      "--source",
      join(PROJECT_ROOT, "data", "sample"),
      "--db",
      join(dir, "w.duckdb"),
      "--out",
      site,
      "--quiet",
    ]);
    if (build.code !== 0) throw new Error(`churn build failed:\n${build.stderr}`);
  }
  server = await serveStatic(site);
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) =>
    statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)],
  );
}

describe("the built site", () => {
  it("names no CDN or web-font host anywhere in its files", () => {
    for (const file of filesUnder(site).filter((f) => /\.(html|js|css|json)$/.test(f))) {
      expect(readFileSync(file, "utf8"), file).not.toMatch(
        /cdn\.jsdelivr\.net|fonts\.googleapis\.com|fonts\.gstatic\.com|unpkg\.com|esm\.sh/,
      );
    }
  });

  for (const { path, name, charts } of PAGES) {
    it(`${path} loads cleanly, renders its charts and fits a phone`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems = watchPage(page);
      await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
      await page.waitForSelector("#observablehq-main h1");
      // As a reader would: to the foot of the page, past charts drawn only when they come into view (/at-risk).
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await page.waitForFunction(
        (n) =>
          document.querySelectorAll("#observablehq-main figure svg, #observablehq-main svg[class^='plot']").length >= n,
        charts,
        { timeout: 15_000 },
      );
      const titles = await page.$$eval("#observablehq-main figure h2", (els) => els.map((e) => e.textContent ?? ""));
      expect(titles.length).toBeGreaterThanOrEqual(charts);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      expect(await marksOutsideCharts(page)).toEqual([]);
      expect(await clippedTickLabels(page)).toEqual([]);
      expect(await collidingTickLabels(page)).toEqual([]);
      expect(problems.failedRequests).toEqual([]);
      expect(problems.consoleErrors).toEqual([]);
      expect(problems.plotWarnings).toEqual([]);
      expect(problems.offsiteRequests).toEqual([]);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(500);
      // Charts redraw at the phone's width: labels must still fit and not collide.
      expect(await clippedTickLabels(page)).toEqual([]);
      expect(await collidingTickLabels(page)).toEqual([]);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(1);
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
      await page.close();
    });
  }

  it("data-quality: the date ranges table, one row per source: rows, customers, first and last date", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/data-quality`, { waitUntil: "networkidle" });
    const table = page.locator("h2:has-text('Date ranges and coverage') ~ div form table").first();
    await table.waitFor();
    const header = await table.locator("thead th").allTextContents();
    expect(header.map((h) => h.trim()).filter(Boolean)).toEqual(["source", "rows", "customers", "first", "last"]);
    const sources = await table.locator("tbody tr td:nth-child(2)").allTextContents();
    expect(sources).toEqual(["customers", "transactions", "subscriptions", "interactions", "surveys", "cancellations"]);
    // Every row has all four figures (the tables were once printed under SQL expressions, empty under the headers).
    for (const row of await table.locator("tbody tr").all())
      expect((await row.locator("td").allTextContents()).slice(2).every((t) => t.trim() !== "")).toBe(true);
    await page.close();
  });

  it("at-risk: the view covers the whole list (no filter = the full CSV, a segment, a search)", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const problems = watchPage(page);
    await page.goto(`${server.url}/at-risk`, { waitUntil: "networkidle" });
    await page.locator("#at-risk-count").waitFor();
    const download = async (id: string) => {
      const [file] = await Promise.all([page.waitForEvent("download"), page.click(id)]);
      const text = readFileSync((await file.path())!, "utf8");
      expect(text.charCodeAt(0)).toBe(0xfeff);
      return csvParse(text.slice(1));
    };
    const count = async () => (await page.locator("#at-risk-count").textContent()) ?? "";
    const full = await download("#download-full");
    for (const c of ["customer_id", "churn_probability", "clv", "value_at_risk", "recommended_action"])
      expect(full.columns).toContain(c);
    expect(full.length).toBeGreaterThan(1000); // the sample scores 3,425: more than the old page's top 1,000
    // No filter: the view is the whole list, row for row.
    const all = await download("#download-filtered");
    expect(all.length).toBe(full.length);
    expect(all.map((r) => r["customer_id"])).toEqual(full.map((r) => r["customer_id"]));
    expect(await count()).toBe(
      `${full.length.toLocaleString("en-US")} of ${full.length.toLocaleString("en-US")} customers`,
    );
    // A segment filter gives every customer of that segment (counted in the full CSV).
    const segment = "Enterprise";
    const expected = full.filter((r) => r["segment"] === segment).map((r) => r["customer_id"]);
    expect(expected.length).toBeGreaterThan(0);
    const before = await count();
    const select = page
      .locator("#observablehq-main form label", { hasText: /^Segment$/ })
      .locator("..")
      .locator("select");
    await select.selectOption({ label: segment });
    await expect.poll(count).not.toBe(before);
    const segmentView = await download("#download-filtered");
    expect(segmentView.map((r) => r["customer_id"])).toEqual(expected);
    await select.selectOption({ label: "all" });
    await expect.poll(count).toBe(before);
    // A search finds the lowest-ranked customer (the last row of the full list).
    const last = full.at(-1)!["customer_id"]!;
    await page.locator("#observablehq-main input[type=text]").fill(last);
    await expect.poll(count).toBe(`1 of ${full.length.toLocaleString("en-US")} customers`);
    await expect.poll(() => page.locator("#observablehq-main table tbody").first().textContent()).toContain(last);
    expect((await download("#download-filtered")).map((r) => r["customer_id"])).toEqual([last]);
    expect(problems.consoleErrors).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, "at-risk-search.png"), fullPage: true });
    await page.close();
  });

  it("the month picker changes the KPI cards", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/`, { waitUntil: "networkidle" });
    const select = page.locator("#observablehq-main form select").first();
    await select.waitFor();
    const before = await page.locator(".kpi .value").allTextContents();
    const options = await select.locator("option").allTextContents();
    await select.selectOption(options[3]!);
    await page.waitForFunction(
      (b) => JSON.stringify([...document.querySelectorAll(".kpi .value")].map((e) => e.textContent)) !== b,
      JSON.stringify(before),
    );
    const after = await page.locator(".kpi .value").allTextContents();
    expect(after).not.toEqual(before);
    await page.close();
  });

  it("survival by quadrant runs from the landmark date, one curve per quadrant", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchPage(page);
    await page.goto(`${server.url}/survival`, { waitUntil: "networkidle" });
    await page.getByRole("radio", { name: "quadrant" }).check();
    await page.waitForFunction(() =>
      /Days since \d{4}-\d{2}-\d{2}/.test(
        [...document.querySelectorAll("#observablehq-main figure svg")].map((s) => s.textContent).join(" "),
      ),
    );
    const legend = await page.$$eval("#observablehq-main figure [class$='-swatch']", (els) =>
      els.map((e) => e.textContent?.trim()),
    );
    expect(legend.sort()).toEqual(["barnacles", "butterflies", "strangers", "true friends"]);
    await expect
      .poll(() => page.locator("#observablehq-main").textContent())
      .toMatch(/A landmark analysis: [\d,]+ subscribers were placed in a quadrant on \d{4}-\d{2}-\d{2}/);
    expect(await marksOutsideCharts(page)).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
    expect(problems.plotWarnings).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, "survival-quadrant.png"), fullPage: true });
    await page.close();
  });

  it("the cohort filters also filter one-off buyers' monthly churn", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchPage(page);
    await page.goto(`${server.url}/cohorts`, { waitUntil: "networkidle" });
    const subtitle = () =>
      page.locator("#observablehq-main figure", { hasText: "Churn rate" }).locator("h3").first().textContent();
    expect(await subtitle()).toMatch(/Share of all one-off buyers/);
    await page.locator("#observablehq-main form select").first().selectOption("segment");
    await expect.poll(subtitle).toMatch(/Share of one-off buyers with segment = \S+/);
    await page.getByRole("radio", { name: "gross revenue retention" }).check();
    await expect
      .poll(() => page.locator("#observablehq-main figure h2").allTextContents())
      .toContain("Cohort gross revenue retention");
    expect(problems.consoleErrors).toEqual([]);
    expect(problems.plotWarnings).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, "cohorts-buyers-segment.png"), fullPage: true });
    await page.close();
  });
});
