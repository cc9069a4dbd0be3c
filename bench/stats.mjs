// The statistics of the benchmark protocol (bench/protocol.mjs): per-round paired
// ratios, their median, and a percentile-bootstrap 95% confidence interval.
//
// Why paired ratios: the modes of one round run back to back, so a slow minute of
// this shared machine slows every mode of the round alike; the ratio within a round
// cancels it, a ratio of medians over the whole batch does not. Why the median and a
// bootstrap: times on a loaded VM are skewed with outliers, so no normal
// approximation holds; resampling the rounds makes no assumption about their
// distribution. A ratio whose interval includes 1 is "within noise", never "faster".

/** The median (of an even count, the mean of the middle two). */
export function median(xs) {
  if (xs.length === 0) throw new Error('median of no values: measure at least one round');
  return quantile(xs, 0.5);
}

/** The q-quantile, interpolating linearly between order statistics (R's type 7, numpy's default). */
export function quantile(xs, q) {
  if (xs.length === 0) throw new Error('quantile of no values: measure at least one round');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile ${q}: must be between 0 and 1`);
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

/** The coefficient of variation: sample standard deviation over the mean. */
export function coefficientOfVariation(xs) {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return Math.sqrt(variance) / mean;
}

/** A seeded 32-bit generator (mulberry32): the same seed gives the same intervals, run after run. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * The percentile-bootstrap interval of statistic(xs): resample xs with replacement
 * `resamples` times and take the (1 - confidence) / 2 and (1 + confidence) / 2
 * quantiles of the statistic over the resamples. Returns [low, high].
 */
export function bootstrapInterval(xs, { statistic = median, resamples = 10_000, confidence = 0.95, seed = 1 } = {}) {
  if (xs.length === 0) throw new Error('bootstrap of no values: measure at least one round');
  const random = seededRandom(seed);
  const stats = new Float64Array(resamples);
  const sample = new Array(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(random() * xs.length)];
    stats[r] = statistic(sample);
  }
  const alpha = (1 - confidence) / 2;
  return [quantile(stats, alpha), quantile(stats, 1 - alpha)];
}

/** treatment[i] / baseline[i] for each round i. */
export function pairedRatios(baseline, treatment) {
  if (baseline.length !== treatment.length) {
    throw new Error(`paired ratios of ${baseline.length} baseline and ${treatment.length} treatment rounds: every round must measure both`);
  }
  return baseline.map((b, i) => treatment[i] / b);
}

/** treatment[i] - baseline[i] for each round i. */
export function pairedDifferences(baseline, treatment) {
  if (baseline.length !== treatment.length) {
    throw new Error(`paired differences of ${baseline.length} baseline and ${treatment.length} treatment rounds: every round must measure both`);
  }
  return baseline.map((b, i) => treatment[i] - b);
}

/**
 * What an interval of a ratio supports: "slower" only if it lies wholly above 1,
 * "faster" only if wholly below, and otherwise (1 inside it, bounds included)
 * "within noise".
 */
export function verdictOf([low, high]) {
  if (low > 1) return 'slower';
  if (high < 1) return 'faster';
  return 'within noise';
}

/**
 * Below this many rounds the percentile bootstrap is too narrow to trust (of two
 * rounds it gives their range, whatever the spread): no verdict.
 */
export const MIN_ROUNDS_FOR_VERDICT = 10;

/** The median of paired ratios, its bootstrap interval and verdict. */
export function compareRounds(baseline, treatment, options) {
  const ratios = pairedRatios(baseline, treatment);
  const interval = bootstrapInterval(ratios, options);
  const verdict = ratios.length < MIN_ROUNDS_FOR_VERDICT ? 'too few rounds' : verdictOf(interval);
  return { rounds: ratios.length, median: median(ratios), low: interval[0], high: interval[1], verdict };
}

/** "1.35× [1.10, 1.82] slower", the way the reports print a comparison. */
export function formatComparison(c) {
  return `${c.median.toFixed(2)}× [${c.low.toFixed(2)}, ${c.high.toFixed(2)}] ${c.verdict}`;
}
