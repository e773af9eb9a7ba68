/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with the flags this machine needs.
 * Records console errors, failed requests and any request that leaves 127.0.0.1, per page.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. Install Debian's chromium (apt-get install -y chromium; .ci/run does this) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export interface PageProblems {
  consoleErrors: string[];
  failedRequests: string[];
  offsiteRequests: string[];
}

export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], failedRequests: [], offsiteRequests: [] };
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.consoleErrors.push(msg.text());
  });
  page.on("pageerror", (error) => problems.consoleErrors.push(String(error)));
  page.on("requestfailed", (req) => problems.failedRequests.push(`${req.url()} (${req.failure()?.errorText ?? "failed"})`));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.failedRequests.push(`${res.url()} (HTTP ${res.status()})`);
  });
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (!["127.0.0.1", "localhost"].includes(url.hostname) && !url.protocol.startsWith("data") && !url.protocol.startsWith("blob")) problems.offsiteRequests.push(req.url());
  });
  return problems;
}
