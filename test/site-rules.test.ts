/**
 * A young business (600 customers, five months of history: too little for the churn forest), as a new user would
 * meet it: `churn generate`, `churn build`, `churn score`. The at-risk list still ranks every active customer, by
 * rules (risk_source = rules, no churn probability), and the site says so; the proactive plan page shows the month's
 * workload and its CSV.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { csvParse } from "d3-dsv";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, query } from "../loaders/db.ts";
import { launchBrowser, watchPage } from "./helpers/browser.ts";
import { runChurn } from "./helpers/cli.ts";
import { serveStatic } from "./helpers/static-server.ts";

let dir: string;
let server: { url: string; close: () => Promise<void> };
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "churn-young-"));
  const exports = join(dir, "exports");
  const gen = runChurn([
    "generate",
    "--customers",
    "600",
    "--from",
    "2026-01-01",
    "--to",
    "2026-05-31",
    "--out",
    exports,
  ]);
  if (gen.code !== 0) throw new Error(`churn generate failed:\n${gen.stderr}`);
  const build = runChurn(["build", "--source", exports, "--db", join(dir, "w.duckdb"), "--out", join(dir, "site")], {
    timeoutMs: 900_000,
  });
  if (build.code !== 0) throw new Error(`churn build failed:\n${build.stderr}`);
  server = await serveStatic(join(dir, "site"));
  browser = await launchBrowser();
}, 1_200_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const parse = (text: string) => csvParse(text.replace(/^\ufeff/, "").replace(/\r\n/g, "\n"));

describe("a young business without enough history for the churn model", () => {
  it("churn score writes every active customer, ranked by rules, with no churn probability", async () => {
    const out = join(dir, "at-risk.csv");
    const r = runChurn(["score", "--db", join(dir, "w.duckdb"), "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).riskSource).toBe("rules");
    expect(r.stderr).toMatch(/ranked by rules — the churn forest could not be trained — not enough history/);
    const rows = parse(readFileSync(out, "utf8"));
    for (const c of ["risk_source", "risk_rank", "next_touch", "next_touch_date", "channel"])
      expect(rows.columns).toContain(c);
    expect(rows.every((x) => x.risk_source === "rules" && x.churn_probability === "")).toBe(true);
    expect(rows.map((x) => Number(x.risk_rank))).toEqual(rows.map((_, i) => i + 1));

    // The active customers, counted here from the raw tables by the README's rule: a subscription covering the as-of
    // date, or (no subscription started by then) a purchase in the buyers' window W that the build chose.
    const db = await openDatabase(join(dir, "w.duckdb"), { readOnly: true });
    try {
      const [meta] = await query<{ as_of: string; w: number }>(
        db.connection,
        `SELECT max(value) FILTER (WHERE key = 'as_of') AS as_of,
                CAST(json_extract(max(value) FILTER (WHERE key = 'buyer_inactivity_window'), '$.days') AS INTEGER) AS w
         FROM warehouse_meta`,
      );
      const active = await query<{ customer_id: string }>(
        db.connection,
        `SELECT customer_id FROM subscriptions WHERE start_date <= $d AND (end_date IS NULL OR end_date > $d)
         UNION
         SELECT customer_id FROM transactions WHERE amount >= 0 AND date <= $d AND date > $d::DATE - $w
           AND customer_id NOT IN (SELECT customer_id FROM subscriptions WHERE start_date <= $d)
         ORDER BY 1`,
        { d: meta!.as_of.replace(/"/g, ""), w: meta!.w },
      );
      expect(active.length).toBeGreaterThan(300);
      const listed = rows.filter((x) => x.status === "active").map((x) => x.customer_id!);
      expect([...listed].sort()).toEqual(active.map((a) => a.customer_id));

      // Rules order: a critical symptom first, then the summed recapitulative weight, then value if retained.
      const symptoms = await query<{ customer_id: string; critical: boolean; weight: number }>(
        db.connection,
        `SELECT customer_id, bool_or(severity = 'critical') AS critical,
                coalesce(sum(weight) FILTER (WHERE severity = 'recapitulative'), 0) AS weight
         FROM symptom_events GROUP BY customer_id`,
      );
      const by = new Map(symptoms.map((s) => [s.customer_id, s]));
      const keys = rows
        .filter((x) => x.status === "active")
        .map((x) => {
          const s = by.get(x.customer_id!);
          return [s?.critical ? 1 : 0, Math.round((s?.weight ?? 0) * 1e6), Number(x.value_if_retained)];
        });
      for (let i = 1; i < keys.length; i++) {
        const [a, b] = [keys[i - 1]!, keys[i]!];
        const ok = a[0]! > b[0]! || (a[0] === b[0] && (a[1]! > b[1]! || (a[1] === b[1] && a[2]! >= b[2]! - 0.01)));
        expect(ok, `rows ${i} and ${i + 1}: ${a} then ${b}`).toBe(true);
      }
      // Planned customers have all three plan columns; nobody else has any.
      for (const x of rows) expect(Boolean(x.next_touch), x.customer_id).toBe(Boolean(x.next_touch_date && x.channel));
      expect(rows.filter((x) => x.next_touch).length).toBeGreaterThan(active.length / 2);
    } finally {
      db.close();
    }
  });

  it("the at-risk page says the list is ranked by rules and why, and lists customers", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchPage(page);
    await page.goto(`${server.url}/at-risk`, { waitUntil: "networkidle" });
    const banner = page.locator("#risk-mode");
    await banner.waitFor();
    expect(await banner.getAttribute("data-source")).toBe("rules");
    const text = (await banner.textContent())!.replace(/\s+/g, " ");
    expect(text).toMatch(/Ranked by rules, not by a model/);
    expect(text).toMatch(/could not be trained — not enough history to learn churn/);
    expect(text).toMatch(/critical symptom come first/);
    const results = await page.locator("#at-risk-count").textContent(); // "473 of 473 customers"
    expect(Number(/^[\d,]+/.exec(results!.trim())![0].replace(/,/g, ""))).toBeGreaterThan(300);
    const first = page.locator("#observablehq-main table tbody tr").first();
    await expect.poll(() => first.locator("td").nth(1).textContent()).toBe("1"); // rank 1 first
    // No value at risk without probabilities: the card below the list says so, with no empty chart.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    const card = page.locator("#value-at-risk-card");
    await card.waitFor();
    expect((await card.textContent())!.replace(/\s+/g, " ")).toMatch(
      /ranked by rules, the list has no churn probability/,
    );
    expect(await card.locator("svg").count()).toBe(0);
    expect(problems.consoleErrors).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    expect(problems.offsiteRequests).toEqual([]);
    await page.close();
  });

  it("the model page says why no model was trained, with no empty Definitions section", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/model`, { waitUntil: "networkidle" });
    const note = page.locator("#observablehq-main .unavailable").first();
    await note.waitFor();
    expect((await note.textContent())!.replace(/\s+/g, " ")).toMatch(
      /No churn model: not enough history to learn churn: \d+ customer-snapshots .* ranked by rules instead/,
    );
    expect(await page.locator("#observablehq-main h2", { hasText: "Definitions" }).count()).toBe(0);
    await page.close();
  });

  it("the plan page shows this month's workload by team and channel, and the plan downloads as CSV", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const problems = watchPage(page);
    await page.goto(`${server.url}/plan`, { waitUntil: "networkidle" });
    await page.waitForSelector("#observablehq-main figure svg");
    const main = (await page.locator("#observablehq-main").textContent())!;
    expect(main).toMatch(/Touches due in 2026-06, per team and channel/);
    expect(main).toMatch(/onboarding/);
    expect(await page.locator("#observablehq-main figure").count()).toBe(2);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-plan")]);
    const rows = parse(readFileSync((await download.path())!, "utf8"));
    expect(rows.columns).toEqual([
      "customer_id",
      "name",
      "segment",
      "tier",
      "quadrant",
      "next_touch",
      "next_touch_date",
      "channel",
      "team",
    ]);
    expect(rows.length).toBeGreaterThan(300);
    const dates = rows.map((r) => r.next_touch_date!);
    expect(dates).toEqual([...dates].sort());
    expect(dates.every((d) => d > "2026-05-31")).toBe(true);
    expect(problems.consoleErrors).toEqual([]);
    expect(problems.plotWarnings).toEqual([]);
    expect(problems.failedRequests).toEqual([]);
    await page.close();
  });
});
