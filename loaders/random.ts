/**
 * Seeded random numbers for everything that must be reproducible (the sample generator, bootstrap, folds, forests).
 * Lives in loaders/ (the lowest layer) so the generator and the models share one implementation.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, as in PractRand), seeded through splitmix32.
 * Samplers: Marsaglia polar normal; Marsaglia & Tsang (2000) gamma, with the a<1 boost u^(1/a);
 * beta from two gammas; Poisson by multiplication (small means) or PTRS (Hörmann 1993) for large means;
 * binomial by counting the rarer outcome with geometric jumps between its trials (Devroye 1986, ch. X, the geometric
 * waiting-time method: exact, cost O(n·min(p, 1 − p) + 1), cheap for the forecast's survival thinning).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal. */
  normal(): number;
  /** Gamma(shape, rate): mean shape / rate. */
  gamma(shape: number, rate: number): number;
  /** Beta(a, b). */
  beta(a: number, b: number): number;
  /** Poisson(mean). */
  poisson(mean: number): number;
  /** Exponential(rate): mean 1 / rate. */
  exponential(rate: number): number;
  /** Binomial(n, p): successes in n trials. */
  binomial(n: number, p: number): number;
  /** A new independent stream derived from this one (for workers or per-customer streams). */
  fork(): Random;
  /**
   * Fills `out` with Poisson(1) draws: the same numbers, and the same state afterwards, as out.length calls of
   * poisson(1). The forest draws one per training row and tree; the generator runs inline here, 4× faster than
   * through next().
   */
  fillPoissonOne(out: Float64Array): void;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded generator. The same seed always gives the same sequence, on every platform. */
export function createRandom(seed: number): Random {
  const init = splitmix32(seed);
  const state = Uint32Array.of(init(), init(), init(), init());
  const nextUint = (): number => sfc32(state);
  for (let i = 0; i < 12; i++) nextUint();
  let spareNormal: number | undefined;

  const rng: Random = {
    next: () => nextUint() / 4294967296,
    int: (n) => Math.floor((nextUint() / 4294967296) * n),
    normal() {
      if (spareNormal !== undefined) {
        const s = spareNormal;
        spareNormal = undefined;
        return s;
      }
      let u: number, v: number, s: number;
      do {
        u = 2 * rng.next() - 1;
        v = 2 * rng.next() - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      spareNormal = v * f;
      return u * f;
    },
    gamma(shape, rate) {
      if (!(shape > 0) || !(rate > 0))
        throw new RangeError(`gamma needs shape > 0 and rate > 0 (got ${shape}, ${rate})`);
      if (shape < 1) {
        const u = 1 - rng.next();
        return rng.gamma(shape + 1, rate) * u ** (1 / shape);
      }
      const dd = shape - 1 / 3;
      const cc = 1 / Math.sqrt(9 * dd);
      for (;;) {
        let x: number, v: number;
        do {
          x = rng.normal();
          v = 1 + cc * x;
        } while (v <= 0);
        v = v * v * v;
        const u = 1 - rng.next();
        if (u < 1 - 0.0331 * x * x * x * x) return (dd * v) / rate;
        if (Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return (dd * v) / rate;
      }
    },
    beta(a2, b2) {
      const x = rng.gamma(a2, 1);
      const y = rng.gamma(b2, 1);
      return x / (x + y);
    },
    poisson(mean) {
      if (!(mean >= 0)) throw new RangeError(`poisson needs mean >= 0 (got ${mean})`);
      if (mean === 0) return 0;
      if (mean < 30) {
        const limit = Math.exp(-mean);
        let k = 0;
        let p = rng.next();
        while (p > limit) {
          k++;
          p *= rng.next();
        }
        return k;
      }
      // PTRS, Hörmann (1993), "The transformed rejection method for generating Poisson random variables".
      const slam = Math.sqrt(mean);
      const loglam = Math.log(mean);
      const bb = 0.931 + 2.53 * slam;
      const aa = -0.059 + 0.02483 * bb;
      const invalpha = 1.1239 + 1.1328 / (bb - 3.4);
      const vr = 0.9277 - 3.6224 / (bb - 2);
      for (;;) {
        const u = rng.next() - 0.5;
        const v = rng.next();
        const us = 0.5 - Math.abs(u);
        const k = Math.floor(((2 * aa) / us + bb) * u + mean + 0.43);
        if (us >= 0.07 && v <= vr) return k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (Math.log(v) + Math.log(invalpha) - Math.log(aa / (us * us) + bb) <= -mean + k * loglam - logFactorial(k))
          return k;
      }
    },
    exponential(rate) {
      return -Math.log(1 - rng.next()) / rate;
    },
    binomial(n, p) {
      if (!(n >= 0) || !Number.isInteger(n) || !(p >= 0 && p <= 1))
        throw new RangeError(`binomial needs a whole n >= 0 and 0 <= p <= 1 (got ${n}, ${p})`);
      const q = p <= 0.5 ? p : 1 - p;
      if (q === 0 || n === 0) return p <= 0.5 ? 0 : n;
      // Trials up to and including the next rare outcome are Geometric(q): 1 + ⌊ln U / ln(1 − q)⌋.
      const logMiss = Math.log1p(-q);
      let rare = 0;
      for (let trial = 0; ; rare++) {
        trial += 1 + Math.floor(Math.log(1 - rng.next()) / logMiss);
        if (trial > n) break;
      }
      return p <= 0.5 ? rare : n - rare;
    },
    fork() {
      return createRandom(nextUint() ^ 0x5bd1e995);
    },
    fillPoissonOne(out) {
      poissonOneFill(state, out);
    },
  };
  return rng;
}

/** One step of sfc32 on its state (a, b, c, d): returns the next 32-bit output. */
function sfc32(state: Uint32Array): number {
  const a = state[0]!,
    b = state[1]!,
    c = state[2]!,
    d = state[3]!;
  const t = (((a + b) >>> 0) + d) >>> 0;
  state[3] = d + 1;
  state[0] = b ^ (b >>> 9);
  state[1] = c + (c << 3);
  state[2] = ((c << 21) | (c >>> 11)) + t;
  return t;
}

/**
 * Poisson(1) draws into `out` by Knuth's method (as poisson(1)). A module-level function, not a closure per
 * generator, so V8 optimises it once for every generator.
 */
function poissonOneFill(state: Uint32Array, out: Float64Array): void {
  const limit = Math.exp(-1);
  for (let q = 0; q < out.length; q++) {
    let k = 0;
    let p = sfc32(state) / 4294967296;
    while (p > limit) {
      k++;
      p *= sfc32(state) / 4294967296;
    }
    out[q] = k;
  }
}

const LOG_FACTORIALS: number[] = [0];
function logFactorial(k: number): number {
  for (let i = LOG_FACTORIALS.length; i <= Math.min(k, 1000); i++)
    LOG_FACTORIALS[i] = LOG_FACTORIALS[i - 1]! + Math.log(i);
  if (k <= 1000) return LOG_FACTORIALS[k]!;
  // Stirling series beyond the table.
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k);
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(items: T[], rng: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}
