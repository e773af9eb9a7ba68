/**
 * Seasonal arrivals: whether next months' arrivals follow the business's seasons, decided by how each way would have
 * forecast the business's own past. Two ways to forecast a monthly count K months ahead from its history:
 * - flat: the mean of the last `recent` months, the same for every month ahead;
 * - seasonal: classical ratio-to-moving-average decomposition (Hyndman & Athanasopoulos, "Forecasting: Principles and
 *   Practice", §3.4 and §3.5): each month's count over the centred 2×12 moving average around it; a calendar month's
 *   index is the mean of its ratios, normalised to average 1. The indices are shrunk toward 1 by how much of their
 *   spread is noise (empirical Bayes: the variance between the same month's ratios in different years, at least the
 *   counts' Poisson variance, over the number of years, against the indices' variance), so a small business's
 *   month-to-month noise is not forecast again next year. Month k ahead = the deseasonalised level of the last
 *   `recent` months × its month's index. Needs 24 months (every calendar month with a ratio).
 * At cut-offs every 3 months back from K months before the end (as far as both can be made), each way forecasts the
 * next K months and its error is the mean absolute difference from what came. Seasonal is kept only when its mean
 * error over those cut-offs is lower; its per-month multipliers of the flat rate are returned (else null). A generated
 * business with a January peak forecast its six months after a December cut-off 23% short with the flat mean.
 */
import { mean, sum } from "simple-statistics";

const SEASON = 12;
/** Cut-offs are this many months apart. */
const CUTOFF_STEP = 3;

/** The flat forecast: the mean of the last `recent` months. */
function flat(history: number[], months: number, recent: number): number[] | null {
  const last = history.slice(-recent);
  if (last.length === 0) return null;
  return new Array<number>(months).fill(mean(last));
}

/**
 * Seasonal indices by position t mod 12 (t = the month's index in `history`), shrunk toward 1; null when a position
 * has no ratio (fewer than 24 months) or a moving average is 0.
 */
export function seasonalIndices(history: number[]): number[] | null {
  const n = history.length;
  const ratios: number[][] = Array.from({ length: SEASON }, () => []);
  // A count's Poisson variance in ratio terms, c / ma², summed per month: the least noise a ratio can have.
  const poisson = new Array<number>(SEASON).fill(0);
  for (let t = SEASON / 2; t + SEASON / 2 < n; t++) {
    let ma = (history[t - 6]! + history[t + 6]!) / 2;
    for (let j = t - 5; j <= t + 5; j++) ma += history[j]!;
    ma /= SEASON;
    if (!(ma > 0)) return null;
    ratios[t % SEASON]!.push(history[t]! / ma);
    poisson[t % SEASON]! += history[t]! / ma ** 2;
  }
  if (ratios.some((r) => r.length === 0)) return null;
  const raw = ratios.map(mean);
  const norm = mean(raw);
  const index = raw.map((s) => s / norm);
  // Noise of an index: the pooled variance of a month's ratios between years (it holds any overdispersion), at least
  // the counts' Poisson variance, over the month's number of years.
  let within = 0;
  let df = 0;
  for (const r of ratios) {
    if (r.length < 2) continue;
    const m = mean(r);
    within += sum(r.map((x) => (x - m) ** 2));
    df += r.length - 1;
  }
  const pooled = df > 0 ? within / df : 0;
  const noise = mean(ratios.map((r, p) => Math.max(pooled, poisson[p]! / r.length) / r.length)) / norm ** 2;
  const spread = mean(index.map((s) => (s - 1) ** 2));
  const keep = spread > 0 ? Math.max(0, 1 - noise / spread) : 0;
  return index.map((s) => 1 + keep * (s - 1));
}

/**
 * The seasonal forecast: the recent months' level (their counts over their indices' sum) × each month's index, or
 * null when it cannot be made.
 */
function seasonal(history: number[], months: number, recent: number): number[] | null {
  const index = seasonalIndices(history);
  if (!index) return null;
  const n = history.length;
  // The level as a ratio of sums (a month its index says is closed, index 0, carries no information on it).
  let counts = 0;
  let expected = 0;
  for (let t = Math.max(0, n - recent); t < n; t++) {
    counts += history[t]!;
    expected += index[t % SEASON]!;
  }
  if (!(expected > 0)) return null;
  return Array.from({ length: months }, (_, k) => (counts / expected) * index[(n + k) % SEASON]!);
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
 * ahead follow its seasons, by forecasting the series' own past both ways.
 */
export function chooseSeasonal(history: number[], months: number, recent: number): SeasonalChoice {
  let flatTotal = 0;
  let seasonalTotal = 0;
  let cutoffs = 0;
  for (let end = history.length - months; end > 0; end -= CUTOFF_STEP) {
    const past = history.slice(0, end);
    const s = seasonal(past, months, recent);
    const f = flat(past, months, recent);
    if (!s || !f) break;
    const actual = history.slice(end, end + months);
    flatTotal += error(f, actual);
    seasonalTotal += error(s, actual);
    cutoffs++;
  }
  if (cutoffs === 0) return { factors: null, flatError: null, seasonalError: null, cutoffs };
  const result = { flatError: flatTotal / cutoffs, seasonalError: seasonalTotal / cutoffs, cutoffs };
  const s = seasonal(history, months, recent);
  const f = flat(history, months, recent);
  if (!s || !f || !(result.seasonalError < result.flatError) || !(f[0]! > 0)) return { ...result, factors: null };
  return { ...result, factors: s.map((x) => x / f[0]!) };
}
