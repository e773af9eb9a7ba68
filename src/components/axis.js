// Axis helpers shared by the chart factories: margins that fit the widest tick label Plot will draw (at any
// magnitude: "1,250,000" needs more room than "500"), and thinned ticks where labels would collide.
import { ticks as niceTicks } from "d3";

/** Plot's default axis font (10px system-ui); labels are measured with it in the browser, estimated elsewhere. */
const FONT = "10px system-ui, -apple-system, sans-serif";
/** Tick length (6) + padding (3) + a little air, as Plot draws a y axis. */
const TICK_SPACE = 12;
let context;

/** Width in pixels of a tick label. Outside a browser: 6.5 px per character, a generous estimate for digits. */
export function textWidth(text) {
  const s = String(text);
  if (typeof document === "undefined") return s.length * 6.5;
  context ??= document.createElement("canvas").getContext("2d");
  context.font = FONT;
  return context.measureText(s).width * 1.05;
}

/** The left (or right) margin that fits every label, never less than `min` (Plot's default 40). */
export function marginFor(labels, { min = 40 } = {}) {
  let widest = 0;
  for (const label of labels) widest = Math.max(widest, textWidth(label));
  return Math.ceil(Math.max(min, widest + TICK_SPACE));
}

/** Plot's default number format (en-US grouping, Unicode minus as Plot draws negatives). */
const plotNumber = (x) => (x < 0 ? `−${(-x).toLocaleString("en-US")}` : x.toLocaleString("en-US"));

/**
 * The margin a linear axis over `values` needs: its tick labels are formatted as Plot would (`percent` multiplies by
 * 100; `tickFormat` a function overrides) at the ticks d3 picks for the extent (with zero when `zero`).
 */
export function numericMargin(values, { percent = false, tickFormat, zero = false, min = 40 } = {}) {
  let lo = zero ? 0 : Infinity;
  let hi = zero ? 0 : -Infinity;
  for (const v of values) {
    if (v == null || !Number.isFinite(v)) continue;
    const x = percent ? v * 100 : v;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (!(lo <= hi)) return min;
  const format = tickFormat ?? plotNumber;
  return marginFor(niceTicks(lo, hi, 10).map(format), { min });
}

/**
 * Every k-th value of an ordinal domain, k chosen so labels of `labelWidth` px (default: the widest) do not collide
 * on an axis `size` px long; for Plot's `ticks` option.
 */
export function thinTicks(domain, size, { labelWidth, gap = 6 } = {}) {
  const values = [...domain];
  if (values.length === 0) return values;
  const widest = labelWidth ?? Math.max(...values.map((v) => textWidth(v)));
  const fit = Math.max(1, Math.floor(size / (widest + gap)));
  const step = Math.max(1, Math.ceil(values.length / fit));
  return values.filter((_, i) => i % step === 0);
}
