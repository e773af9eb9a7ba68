/**
 * The "Why customers leave" page (/reasons) as a person sees it: the real `churn build` on a small generated business
 * (1,500 customers, so the build stays quick), served on 127.0.0.1 and opened in headless Chromium. The page loads
 * with no console error, Plot warning, failed or off-site request; its charts render inside their frames; the
 * counts on it match the generated cancellations.csv counted here independently; the breakdown switches to the
 * quadrant; the customers' own words are quoted; it fits a phone. Set CHURN_REASONS_SITE_DIR (and
 * CHURN_REASONS_EXPORTS, the folder it was built from) to check an already built site instead.
 */
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvParse } from "d3-dsv";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateBusiness } from "../loaders/generate/index.ts";
import { launchBrowser, marksOutsideCharts, watchPage } from "./helpers/browser.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";
import { serveStatic } from "./helpers/static-server.ts";

const SCREENSHOTS = join(PROJECT_ROOT, "test-output", "screenshots");
let exports: string;
let server: { url: string; close: () => Promise<void> };
let browser: Browser;

beforeAll(async () => {
  let site = process.env["CHURN_REASONS_SITE_DIR"] ?? "";
  exports = process.env["CHURN_REASONS_EXPORTS"] ?? "";
  if (!site) {
    const dir = mkdtempSync(join(tmpdir(), "churn-reasons-site-"));
    exports = join(dir, "exports");
    await generateBusiness({ customers: 1500, seed: 11, out: exports, from: "2023-10-01", to: "2026-09-30", dirty: 0 });
    site = join(dir, "site");
    const build = runChurn(["build", "--source", exports, "--db", join(dir, "w.duckdb"), "--out", site, "--quiet"], {
      timeoutMs: 900_000,
    });
    if (build.code !== 0) throw new Error(`churn build failed:\n${build.stderr}`);
  }
  server = await serveStatic(site);
  browser = await launchBrowser();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 1_000_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The shipped data/rules/reasons.json classifies the generator's reason codes this way (read off that file). */
const CATEGORY: Record<string, string> = {
  "Too expensive": "internal",
  "Budget cuts": "internal",
  "Missing features": "internal",
  "Poor support": "internal",
  "Product quality": "internal",
  "Switched to competitor": "external",
  Moved: "external",
  "Closed business": "external",
  "No longer needed": "external",
  Other: "unclassified",
};

describe("/reasons, why customers leave", () => {
  it("shows the counts of the cancellations export, its charts and the customers' words, cleanly", async () => {
    const rows = csvParse(readFileSync(join(exports, "cancellations.csv"), "utf8"));
    // The page's categories: the export's own when given, else the rules' (every generated row has a date ≤ as-of).
    const category = (r: (typeof rows)[number]) => r.category || CATEGORY[r.reason!]!;
    const internal = rows.filter((r) => category(r) === "internal").length;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchPage(page);
    await page.goto(`${server.url}/reasons`, { waitUntil: "networkidle" });
    await page.waitForSelector("#observablehq-main h1");
    await page.waitForFunction(() => document.querySelectorAll("#observablehq-main figure svg").length >= 7, null, {
      timeout: 15_000,
    });
    const main = page.locator("#observablehq-main");
    expect(await main.textContent()).toContain(`${rows.length.toLocaleString("en-US")} cancellations with a reason`);
    const kpi = await page.locator(".kpi .value").allTextContents();
    expect(kpi[0]).toBe(`${((100 * internal) / rows.length).toFixed(1)}%`);
    // Churned = every subscription of the customer has ended (the generator leaves end_date empty past the last
    // day, which is the as-of date); of those, the ones with no row in cancellations.csv gave no reason.
    const subs = csvParse(readFileSync(join(exports, "subscriptions.csv"), "utf8"));
    const open = new Set(subs.filter((r) => !r.end_date).map((r) => r.customer_id));
    const churned = new Set(subs.map((r) => r.customer_id).filter((id) => !open.has(id)));
    const gave = new Set(rows.map((r) => r.customer_id));
    const silent = [...churned].filter((id) => !gave.has(id)).length;
    expect(kpi[3]).toBe(`${((100 * silent) / churned.size).toFixed(1)}%`);
    const titles = await page.$$eval("#observablehq-main figure h2", (els) => els.map((e) => e.textContent));
    for (const t of ["Reasons over time", "Internal vs external", "Reasons by plan", "Lost MRR by reason"])
      expect(titles).toContain(t);
    // Every quoted line is a note of the export, under the reason it was given for.
    const quotes = await page.$$eval(".quotes", (cards) =>
      cards.flatMap((c) =>
        [...c.querySelectorAll("li")].map((li) => [c.querySelector("h2")?.textContent ?? "", li.textContent ?? ""]),
      ),
    );
    expect(quotes.length).toBeGreaterThan(5);
    for (const [reason, line] of quotes) {
      const said = /“([^”]+)”/.exec(line ?? "")?.[1];
      expect(
        rows.some((r) => r.reason === reason && r.note === said),
        `${reason}: ${line}`,
      ).toBe(true);
    }
    await page.screenshot({ path: join(SCREENSHOTS, "reasons.png"), fullPage: true });

    await page.getByRole("radio", { name: "quadrant" }).check();
    await expect
      .poll(() => page.$$eval("#observablehq-main figure h2", (els) => els.map((e) => e.textContent)))
      .toContain("Reasons by quadrant");
    expect(await marksOutsideCharts(page)).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
    expect(problems.plotWarnings).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    expect(problems.offsiteRequests).toEqual([]);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(SCREENSHOTS, "reasons-phone.png"), fullPage: true });
    await page.close();
  });
});
