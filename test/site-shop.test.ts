/**
 * The site for a shop: exports with customers and transactions but no subscriptions (the sample's two files alone).
 * Every page still loads with no console error, no Plot warning and no failed request; pages whose analysis needs
 * subscriptions say so plainly, and the buyer analyses (churn by inactivity, per filter value; value) are shown.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, watchPage } from "./helpers/browser.ts";
import { runChurn } from "./helpers/cli.ts";
import { PROJECT_ROOT } from "./helpers/reference.ts";
import { serveStatic } from "./helpers/static-server.ts";

let server: { url: string; close: () => Promise<void> };
let browser: Browser;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "churn-shop-"));
  mkdirSync(join(dir, "exports"));
  for (const f of ["customers.csv", "transactions.csv"])
    copyFileSync(join(PROJECT_ROOT, "data", "sample", f), join(dir, "exports", f));
  const build = runChurn([
    "build",
    "--source",
    join(dir, "exports"),
    "--db",
    join(dir, "w.duckdb"),
    "--out",
    join(dir, "site"),
    "--quiet",
  ]);
  if (build.code !== 0) throw new Error(`churn build failed:\n${build.stderr}`);
  server = await serveStatic(join(dir, "site"));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const PAGES: { path: string; says: RegExp }[] = [
  {
    path: "/",
    says: new RegExp(
      /The exports have no subscriptions, so there are no monthly churn and MRR figures/.source +
        /[\s\S]*One-off buyers: monthly churn by inactivity/.source,
    ),
  },
  { path: "/cohorts", says: /No subscription cohorts: the exports have no subscriptions/ },
  { path: "/survival", says: /No survival curves: the exports have no subscriptions/ },
  { path: "/value", says: /One-off buyers/ },
  { path: "/segments", says: /true friends/ },
  { path: "/at-risk", says: /Download/ },
  { path: "/model", says: /ROC/ },
  { path: "/data-quality", says: /Not in the exports: subscriptions, interactions, surveys/ },
];

describe("the site for a shop without subscriptions", () => {
  for (const { path, says } of PAGES) {
    it(`${path} loads cleanly and says what it shows or lacks`, async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems = watchPage(page);
      await page.goto(`${server.url}${path}`, { waitUntil: "networkidle" });
      await page.waitForSelector("#observablehq-main h1");
      await expect.poll(() => page.locator("#observablehq-main").textContent()).toMatch(says);
      expect(problems.consoleErrors).toEqual([]);
      expect(problems.plotWarnings).toEqual([]);
      expect(problems.failedRequests).toEqual([]);
      await page.close();
    });
  }

  it("filters buyers' churn on the cohorts page", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/cohorts`, { waitUntil: "networkidle" });
    const subtitle = () =>
      page.locator("#observablehq-main figure", { hasText: "Churn rate" }).locator("h3").first().textContent();
    await page.locator("#observablehq-main form select").first().selectOption("region");
    await expect.poll(subtitle).toMatch(/Share of one-off buyers with region = \S+/);
    await page.close();
  });
});
