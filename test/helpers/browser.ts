/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with the flags this machine needs.
 * Records console errors, Plot's warnings (drawn as ⚠ on a chart), failed requests and any request that leaves
 * 127.0.0.1, per page.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. ` +
        "Install Debian's chromium (apt-get install -y chromium; .ci/run does this) or set CHROMIUM_PATH.",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface PageProblems {
  consoleErrors: string[];
  plotWarnings: string[];
  failedRequests: string[];
  offsiteRequests: string[];
}

export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], plotWarnings: [], failedRequests: [], offsiteRequests: [] };
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.consoleErrors.push(msg.text());
    if (msg.type() === "warning" && msg.text().startsWith("Warning:")) problems.plotWarnings.push(msg.text());
  });
  page.on("pageerror", (error) => problems.consoleErrors.push(String(error)));
  page.on("requestfailed", (req) =>
    problems.failedRequests.push(`${req.url()} (${req.failure()?.errorText ?? "failed"})`),
  );
  page.on("response", (res) => {
    if (res.status() >= 400) problems.failedRequests.push(`${res.url()} (HTTP ${res.status()})`);
  });
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (
      !["127.0.0.1", "localhost"].includes(url.hostname) &&
      !url.protocol.startsWith("data") &&
      !url.protocol.startsWith("blob")
    )
      problems.offsiteRequests.push(req.url());
  });
  return problems;
}

/**
 * Every line, area, bar and cell mark drawn in the page's charts lies (at least partly) inside its SVG: catches a
 * chart whose data fell outside its scales (an empty-looking plot that still "renders").
 */
export async function marksOutsideCharts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const svg of document.querySelectorAll<SVGSVGElement>("#observablehq-main figure svg")) {
      const box = svg.getBoundingClientRect();
      const marks = svg.querySelectorAll(
        "g[aria-label='line'] path, g[aria-label='area'] path, g[aria-label='bar'] rect, g[aria-label='cell'] rect",
      );
      let inside = 0;
      for (const m of marks) {
        const r = m.getBoundingClientRect();
        if (
          r.right >= box.left &&
          r.left <= box.right &&
          r.bottom >= box.top &&
          r.top <= box.bottom &&
          (r.width > 0 || r.height > 0)
        )
          inside++;
      }
      if (marks.length > 0 && inside < marks.length) {
        const title = svg.closest("figure")?.querySelector("h2")?.textContent ?? "(untitled)";
        problems.push(`${title}: ${marks.length - inside} of ${marks.length} marks outside the chart`);
      }
    }
    return problems;
  });
}

/**
 * Axis tick labels drawn outside their chart's SVG (a margin too small for the label, e.g. "1,250,000" cut to
 * "50,000"), on every Plot chart of the page: each tick label's bounding box must lie within its SVG's box.
 */
export async function clippedTickLabels(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const problems = [];
    for (const svg of document.querySelectorAll("#observablehq-main svg")) {
      const groups = svg.querySelectorAll("g[aria-label$='tick label']");
      if (groups.length === 0) continue;
      const box = svg.getBoundingClientRect();
      const title = svg.closest("figure")?.querySelector("h2")?.textContent ?? "(untitled)";
      for (const group of groups)
        for (const text of group.querySelectorAll("text")) {
          const r = text.getBoundingClientRect();
          if (r.width === 0 && r.height === 0) continue;
          const sides = [];
          if (r.left < box.left - 0.5) sides.push("left");
          if (r.right > box.right + 0.5) sides.push("right");
          if (r.top < box.top - 0.5) sides.push("top");
          if (r.bottom > box.bottom + 0.5) sides.push("bottom");
          if (sides.length)
            problems.push(title + ": " + group.getAttribute("aria-label") + " '" + text.textContent + "' cut at the "
              + sides.join(", ") + " (" + Math.round(box.width) + " px wide chart)");
        }
    }
    return problems;
  })()`);
}

/**
 * Tick labels of one axis that overlap their neighbour (labels too dense for the axis length), or that an axis label
 * (e.g. a rotated "Acquisition cohort") covers.
 */
export async function collidingTickLabels(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const problems = [];
    for (const svg of document.querySelectorAll("#observablehq-main svg")) {
      const title = svg.closest("figure")?.querySelector("h2")?.textContent ?? "(untitled)";
      const ticks = [...svg.querySelectorAll("g[aria-label$='tick label'] text")].map((t) => t.getBoundingClientRect());
      for (const label of svg.querySelectorAll("g[aria-label$='axis label'] text")) {
        const a = label.getBoundingClientRect();
        const hit = ticks.some((b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1
          && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1);
        if (hit) problems.push(title + ": axis label '" + label.textContent + "' covers tick labels");
      }
    }
    for (const group of document.querySelectorAll("#observablehq-main svg g[aria-label$='tick label']")) {
      const title = group.closest("figure")?.querySelector("h2")?.textContent ?? "(untitled)";
      const boxes = [...group.querySelectorAll("text")]
        .map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }))
        .filter((b) => b.r.width > 0);
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i].r, b = boxes[j].r;
          const overlapX = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (overlapX > 1 && overlapY > 1)
            problems.push(title + ": " + group.getAttribute("aria-label") + " '" + boxes[i].text + "' and '"
              + boxes[j].text + "' overlap");
        }
    }
    return problems;
  })()`);
}
