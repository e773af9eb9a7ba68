// Number formatting shared by the pages (units are always shown next to the number).
export const pct = (x, digits = 1) => (x == null || !Number.isFinite(x) ? "–" : `${(100 * x).toFixed(digits)}%`);
// One formatter each, made once: toLocaleString builds a new Intl.NumberFormat on every call (slow in a long table).
const wholeNumber = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const plainNumber = new Intl.NumberFormat("en-US");
export const int = (x) => (x == null || !Number.isFinite(x) ? "–" : wholeNumber.format(Math.round(x)));
export const money = (x) => (x == null || !Number.isFinite(x) ? "–" : wholeNumber.format(x));
/** A number as toLocaleString("en-US") prints it (up to 3 decimals), empty when missing. */
export const number = (x) => (x == null ? "" : plainNumber.format(x));

/** "▲ 1.2 pts" style change against the previous value; `goodWhenUp` picks the colour. */
export function delta(current, previous, { points = false, goodWhenUp = true } = {}) {
  if (current == null || previous == null || !Number.isFinite(current) || !Number.isFinite(previous))
    return { text: "no previous month", cls: "" };
  const diff = current - previous;
  const text = points
    ? `${diff >= 0 ? "▲" : "▼"} ${Math.abs(100 * diff).toFixed(1)} pts vs previous month`
    : `${diff >= 0 ? "▲" : "▼"} ${int(Math.abs(diff))} vs previous month`;
  const cls = diff === 0 ? "" : diff > 0 === goodWhenUp ? "good" : "bad";
  return { text, cls };
}
