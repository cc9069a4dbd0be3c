// The benchmark protocol in Node (npm run bench; docs/PERFORMANCE.md explains it):
//   node bench/run.mjs [--rounds 25] [--workloads churn,churn-quiet,sqljs]
//     [--modes original,traced,deep16,sampled] [--flags default,eager]
//     (more modes: deep1; jshook, the JS-hook baseline of existing tracers, 3-70x slower)
//     [--warmup 2] [--iterations 5] [--sample-bytes 4096] [--out bench/out/node]
//
// For each V8 setting (--flags: default, or eager TurboFan: --no-liftoff
// --no-wasm-lazy-compilation) and each workload, a batch of ROUNDS rounds. A round
// runs one fresh process per mode, and one of the compute-only reference loop, in an
// order that rotates from round to round. Each process (bench/workload.mjs) loads
// bytes made beforehand (bench/prepare.mjs), runs the workload once (the first run),
// `warmup` times more, then `iterations` timed times (its steady time is their
// median), and fails unless every traced run traced what it must.
//
// Each mode is compared to the original round by round: the median of the paired
// ratios, with a bootstrap 95% interval; "within noise" when the interval holds 1
// (bench/stats.mjs). For the churn, the paired differences give ns per malloc+free
// pair. The reference loop's spread and drift over the batch say whether the
// machine stayed steady. Writes OUT.json (every run) and OUT.md (the tables).

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CHURN_FACTS } from './common.mjs';
import { prepareModules } from './prepare.mjs';
import { compareMode, driftNote, formatMs, machineDrift, modeLabels, modeRow, tableHeader, WORKLOAD_TITLES } from './report.mjs';
import { median } from './stats.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '25' },
    workloads: { type: 'string', default: 'churn,churn-quiet,sqljs' },
    modes: { type: 'string', default: 'original,traced,deep16,sampled' },
    flags: { type: 'string', default: 'default,eager' },
    warmup: { type: 'string', default: '2' },
    iterations: { type: 'string', default: '5' },
    'sample-bytes': { type: 'string', default: '4096' },
    out: { type: 'string', default: `${here}out/node` },
  },
});

/** The V8 settings a batch can run under. */
const FLAGS = {
  default: { label: 'default flags', argv: [] },
  eager: { label: 'eager TurboFan (`--no-liftoff --no-wasm-lazy-compilation`)', argv: ['--no-liftoff', '--no-wasm-lazy-compilation'] },
};
const WORKLOADS = WORKLOAD_TITLES;
const MODES = modeLabels(args['sample-bytes']);

function usage(message) {
  process.stderr.write(`bench/run.mjs: ${message}\n`);
  process.exit(2);
}
const whole = (name, min) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) usage(`--${name} ${args[name]}: a whole number of at least ${min}`);
  return n;
};
const rounds = whole('rounds', 2);
const warmup = whole('warmup', 0);
const iterations = whole('iterations', 1);
const list = (name, known) => {
  const xs = args[name].split(',').filter(Boolean);
  const unknown = xs.filter((x) => !(x in known));
  if (unknown.length) usage(`--${name}: unknown ${unknown.join(', ')}; known: ${Object.keys(known).join(', ')}`);
  return xs;
};
const workloads = list('workloads', WORKLOADS);
const modes = list('modes', MODES);
const flagSets = list('flags', FLAGS);
if (modes[0] !== 'original') usage('--modes must start with original: every ratio is to it');

prepareModules([...new Set([...workloads, 'reference'])]);

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

/** One measured process; its JSON line. A failed check fails the whole benchmark. */
function measure(workload, mode, flags) {
  const argv = ['--no-warnings', '--expose-gc', ...FLAGS[flags].argv, `${here}workload.mjs`, workload, mode, '--warmup', String(warmup), '--iterations', String(iterations)];
  try {
    const out = execFileSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, SAMPLE_BYTES: args['sample-bytes'] }, stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (e) {
    process.stderr.write(`${e.stderr || e.message}`);
    usage(`node ${argv.slice(3).join(' ')} failed (above): no numbers come from a batch with a failed run`);
  }
}

const steadyMs = (p) => median(p.steady.map((r) => r.ms));

/** ROUNDS rounds of every mode and the reference, in rotating order. */
function batch(workload, flags) {
  const order = [...modes, 'reference'];
  const runs = Object.fromEntries(order.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < order.length; k++) {
      const mode = order[(r + k) % order.length];
      runs[mode].push(mode === 'reference' ? measure('reference', 'original', flags) : measure(workload, mode, flags));
    }
    process.stderr.write(`  ${workload}, ${flags}: round ${r + 1}/${rounds} (${elapsed()})\n`);
  }
  return runs;
}

/** The batch's table and its comparisons. */
function summarize(workload, flags, runs) {
  const times = (m) => ({ first: runs[m].map((p) => p.first.ms), steady: runs[m].map(steadyMs) });
  const gc = (m) => {
    const all = runs[m].flatMap((p) => [p.first, ...p.steady]);
    return `${median(all.map((r) => r.gcCount))} (${formatMs(median(all.map((r) => r.gcMs)))})`;
  };
  const pairs = workload.startsWith('churn') ? CHURN_FACTS.pairs : undefined;
  const comparisons = {};
  const rows = modes.map((m) => {
    comparisons[m] = m === 'original' ? undefined : compareMode(times('original'), times(m), pairs);
    return modeRow(MODES[m], times(m), comparisons[m], { nsPerPair: !!pairs, extra: [gc(m)] });
  });
  const reference = machineDrift(times('reference').steady);
  const markdown = [
    `**${WORKLOADS[workload]}**, ${FLAGS[flags].label}: ${rounds} rounds, one process per mode per round.`,
    '',
    ...tableHeader([...(pairs ? ['ns per pair [95% CI]'] : []), 'GCs per run (pause)']),
    ...rows,
    '',
    driftNote(reference),
    '',
  ].join('\n');
  return { markdown, comparisons, reference };
}

const results = { node: process.version, cpu: `${os.cpus()[0].model.trim()} (${os.cpus().length} cores)`, rounds, warmup, iterations, sampleBytes: Number(args['sample-bytes']), batches: [] };
const sections = [
  `Node ${process.version} on ${results.cpu}. Each process: a first run, ${warmup} warm-up runs, then the median of ${iterations} (steady). Ratios: median of per-round paired ratios, bootstrap 95% CI; "within noise" when the CI holds 1.`,
  '',
];
for (const flags of flagSets) {
  for (const workload of workloads) {
    process.stderr.write(`${workload}, ${FLAGS[flags].label} (${elapsed()})\n`);
    const runs = batch(workload, flags);
    const summary = summarize(workload, flags, runs);
    results.batches.push({ workload, flags, runs, comparisons: summary.comparisons, reference: summary.reference });
    sections.push(summary.markdown);
    process.stdout.write(`${summary.markdown}\n`);
  }
}
sections.push(`Took ${elapsed()}.`);
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(`${args.out}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${args.out}.md`, `${sections.join('\n')}\n`);
process.stderr.write(`wrote ${args.out}.md and ${args.out}.json (${elapsed()})\n`);
