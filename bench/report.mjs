// The tables of a batch, shared by bench/run.mjs (processes) and bench/browser.mjs
// (browser launches): each "round" below is one process or one launch.
import { bootstrapInterval, coefficientOfVariation, compareRounds, formatComparison, median, pairedDifferences } from './stats.mjs';

/** The reference loop may vary this much (CV, and second half against first) before a batch is not published. */
export const MAX_REFERENCE_DRIFT = 0.05;

/** What each workload is, as the tables title it. */
export const WORKLOAD_TITLES = {
  churn: 'C malloc/free churn, memory grows (100k live blocks, 1M free+malloc pairs)',
  'churn-quiet': 'C malloc/free churn, memory pre-sized: no GC (the same program)',
  sqljs: 'sql.js: 20k inserts + 40 queries',
  treesitter: 'tree-sitter: parse 269 KB of JavaScript',
};

/** What each mode is, as the tables name it. */
export function modeLabels(sampleBytes) {
  return {
    original: 'original',
    traced: 'exact, nframe 1 (maxFrames 1 build)',
    deep1: 'exact, 128-frame build, nframe 1',
    deep16: 'exact, nframe 16 (128-frame build)',
    sampled: `sampled, one per ${sampleBytes} B (maxFrames 1 build, nframe 1)`,
    jshook: 'JS-hook baseline (`new Error().stack` per allocation)',
  };
}

export const formatMs = (ms) => `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;

/**
 * A mode against the original, round by round: first runs, steady times and, given
 * the workload's malloc+free pairs, the steady cost per pair in ns.
 */
export function compareMode(original, mode, pairs) {
  const c = { first: compareRounds(original.first, mode.first), steady: compareRounds(original.steady, mode.steady) };
  if (pairs) {
    // ms per round over the pairs, in ns: ms × 1e6 / pairs.
    const ns = pairedDifferences(original.steady, mode.steady).map((ms) => (ms * 1e6) / pairs);
    const [low, high] = bootstrapInterval(ns);
    c.nsPerPair = { median: median(ns), low, high };
  }
  return c;
}

/** The header of a batch's table; `extra` names the columns after the ratios. */
export function tableHeader(extra = []) {
  const columns = ['mode', 'first run', 'first run / original [95% CI]', 'steady', 'steady / original [95% CI]', ...extra];
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`];
}

/** One mode's row: its times (one per round) and, but for the original, its comparison. */
export function modeRow(label, times, comparison, { nsPerPair = false, extra = [] } = {}) {
  const cells = [
    label,
    formatMs(median(times.first)),
    comparison ? formatComparison(comparison.first) : '—',
    `${formatMs(median(times.steady))} (CV ${(coefficientOfVariation(times.steady) * 100).toFixed(0)}%)`,
    comparison ? `**${formatComparison(comparison.steady)}**` : '—',
  ];
  if (nsPerPair) {
    const ns = comparison?.nsPerPair;
    cells.push(ns ? `${ns.median.toFixed(0)} [${ns.low.toFixed(0)}, ${ns.high.toFixed(0)}]` : '—');
  }
  return `| ${[...cells, ...extra].join(' | ')} |`;
}

/** The reference loop's steady times over the batch: its spread, its drift, and whether to publish. */
export function machineDrift(referenceSteady) {
  const half = Math.floor(referenceSteady.length / 2);
  const drift = median(referenceSteady.slice(referenceSteady.length - half)) / median(referenceSteady.slice(0, half));
  const cv = coefficientOfVariation(referenceSteady);
  return { medianMs: median(referenceSteady), cv, drift, steady: cv <= MAX_REFERENCE_DRIFT && Math.abs(drift - 1) <= MAX_REFERENCE_DRIFT };
}

export function driftNote(d) {
  const verdict = d.steady ? 'the machine held steady' : `**the machine drifted or was noisy (CV or drift over ${MAX_REFERENCE_DRIFT * 100}%): do not publish this batch**`;
  return `Reference loop: ${formatMs(d.medianMs)}, CV ${(d.cv * 100).toFixed(1)}%, last half / first half ${d.drift.toFixed(3)}: ${verdict}.`;
}
