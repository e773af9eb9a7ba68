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
 * A rate axis from zero (rates as fractions, shown as percentages): Plot's own domain, or 0–1% when every rate is
 * zero or missing (no churn at all), where Plot's domain collapses to [0, 0] and draws each zero bar the chart's full
 * height under a tick "0.000000". `domain` is in percent, as Plot's percent option reads it; `extent` in fractions,
 * for numericMargin.
 */
export function rateAxis(values) {
  const flat = !values.some((v) => v != null && Number.isFinite(v) && v > 0);
  return flat ? { domain: [0, 1], extent: [0, 0.01] } : { domain: undefined, extent: values };
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

/** A label cut with an ellipsis to fit `px` pixels (long category names on a phone-width chart). */
export function fitLabel(label, px) {
  const s = String(label);
  if (textWidth(s) <= px) return s;
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(`${s.slice(0, mid)}…`) <= px) lo = mid;
    else hi = mid - 1;
  }
  return `${s.slice(0, lo)}…`;
}

/**
 * A y axis of category labels: the margin that fits the widest, at most `share` of the chart's width (labels longer
 * than that are cut with an ellipsis, the full text stays in the tip).
 */
export function categoryAxis(labels, width = 640, { share = 0.45, min = 40 } = {}) {
  const margin = Math.min(marginFor(labels, { min }), Math.max(min, Math.floor(share * width)));
  return { marginLeft: margin, tickFormat: (d) => fitLabel(d, margin - TICK_SPACE) };
}

/** A band x axis of months (or other ordinal labels) with every k-th label, so none collide at this width. */
export function bandTicks(values, width = 640, marginLeft = 40, marginRight = 20) {
  return thinTicks(values, Math.max(60, width - marginLeft - marginRight));
}
