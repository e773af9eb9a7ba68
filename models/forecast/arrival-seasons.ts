/**
 * Seasonal arrivals: whether next months' arrivals follow last year's pattern, decided by how each way would have
 * forecast the business's own past. Two ways to forecast a monthly count K months ahead from its history:
 * - flat: the mean of the last `recent` months, the same for every month ahead;
 * - seasonal naive with growth (Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", §5.2, with the
 *   drift taken as a ratio): month k ahead = the same calendar month a year before × g, where g = the last 6 months'
 *   sum ÷ the same 6 months' sum a year earlier (needs 18 months, and K ≤ 12).
 * At cut-offs every 3 months back from K months before the end (as far as both can be made), each way forecasts the
 * next K months and its error is the mean absolute difference from what came. Seasonal is kept only when its mean
 * error over those cut-offs is lower; its per-month multipliers of the flat rate are returned (else null). A generated
 * business with a January peak forecast its six months after a December cut-off 23% short with the flat mean.
 */

const SEASON = 12;
const GROWTH_MONTHS = 6;
/** Cut-offs are this many months apart. */
const CUTOFF_STEP = 3;

const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

/** The flat forecast: the mean of the last `recent` months. */
function flat(history: number[], months: number, recent: number): number[] | null {
  const last = history.slice(-recent);
  if (last.length === 0) return null;
  return new Array<number>(months).fill(sum(last) / last.length);
}

/** The seasonal naive forecast with growth, or null when the history is too short. */
function seasonal(history: number[], months: number): number[] | null {
  const n = history.length;
  if (n < SEASON + GROWTH_MONTHS || months > SEASON) return null;
  const before = sum(history.slice(n - SEASON - GROWTH_MONTHS, n - SEASON));
  if (!(before > 0)) return null;
  const growth = sum(history.slice(n - GROWTH_MONTHS)) / before;
  return Array.from({ length: months }, (_, k) => history[n - SEASON + k]! * growth);
}

/** Mean absolute error of a forecast of `actual`. */
const error = (forecast: number[], actual: number[]) =>
  sum(forecast.map((f, k) => Math.abs(f - actual[k]!))) / actual.length;

export interface SeasonalChoice {
  /** Per forecast month, the seasonal forecast ÷ the flat one (null: the flat mean is kept). */
  factors: number[] | null;
  /** Mean absolute error per month of each way over the past cut-offs (null: no cut-off allowed both). */
  flatError: number | null;
  seasonalError: number | null;
  cutoffs: number;
}

/**
 * Decide for one monthly count series (oldest first, its last month the one before the forecast) whether the K months
 * ahead follow last year's pattern, by forecasting the series' own past both ways.
 */
export function chooseSeasonal(history: number[], months: number, recent: number): SeasonalChoice {
  let flatTotal = 0;
  let seasonalTotal = 0;
  let cutoffs = 0;
  for (let end = history.length - months; end > 0; end -= CUTOFF_STEP) {
    const past = history.slice(0, end);
    const s = seasonal(past, months);
    const f = flat(past, months, recent);
    if (!s || !f) break;
    const actual = history.slice(end, end + months);
    flatTotal += error(f, actual);
    seasonalTotal += error(s, actual);
    cutoffs++;
  }
  const none = { factors: null, flatError: null, seasonalError: null, cutoffs };
  if (cutoffs === 0) return none;
  const result = { flatError: flatTotal / cutoffs, seasonalError: seasonalTotal / cutoffs, cutoffs };
  const s = seasonal(history, months);
  const f = flat(history, months, recent);
  if (!s || !f || !(result.seasonalError < result.flatError) || !(f[0]! > 0)) return { ...result, factors: null };
  return { ...result, factors: s.map((x) => x / f[0]!) };
}
