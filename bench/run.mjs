// The benchmark: node bench/run.mjs [--rounds N] [--workloads churn,sqljs,treesitter]
// (npm run bench sets everything up; SAMPLE_BYTES=N sets the sampled mode's interval, default 4096)
// Every (workload, mode) pair is measured ROUNDS times (default 9), each in a fresh
// process, with the modes interleaved so that machine noise hits them alike; the
// JS-hook baseline, 20-70x slower, only min(ROUNDS, 3) times. Reported numbers are
// medians; ratios are taken between medians of the same run. The churn's spread
// (min-max over the processes) is printed too: on this 2-core VM one process can
// take 1.5x another with the same bytes, because the churn grows its memory ~1000
// times and each growth makes V8 account the whole buffer as new external memory,
// which starts dozens of garbage collections that run alongside the Wasm code.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { buildChurn, median } from './common.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 9) || 9;
buildChurn();

const measure = (workload, mode, flags = []) =>
  JSON.parse(execFileSync(process.execPath, ['--no-warnings', '--expose-gc', ...flags, `${here}workload.mjs`, workload, mode], { encoding: 'utf8' }).trim().split('\n').pop());

const modes = ['original', 'traced', 'deep1', 'deep16', 'sampled', 'jshook'];
const sampleBytes = Number(process.env.SAMPLE_BYTES ?? 4096);
const results = {};
const only = process.argv.includes('--workloads') ? process.argv[process.argv.indexOf('--workloads') + 1].split(',') : undefined;
for (const workload of ['churn', 'sqljs', 'treesitter'].filter((w) => !only || only.includes(w))) {
  const runs = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) if (mode !== 'jshook' || r < 3) runs[mode].push(measure(workload, mode));
  }
  const ms = Object.fromEntries(modes.map((m) => [m, median(runs[m].map((x) => x.ms))]));
  results[workload] = { ms, runs, traced: runs.traced.at(-1) };
  process.stderr.write(`${workload}: ${modes.map((m) => `${m} ${ms[m].toFixed(1)} ms`).join(', ')}\n`);
}
// The churn once more with V8's garbage collector on one thread: the collections
// its memory growth starts no longer run beside the Wasm code, processes agree
// within a few percent, and the ratio is the stricter one (the GC's time no longer
// dilutes it).
if (results.churn) {
  const runs = { original: [], traced: [], sampled: [] };
  for (let r = 0; r < rounds; r++) for (const mode of Object.keys(runs)) runs[mode].push(measure('churn', mode, ['--single-threaded-gc']));
  results.churnSingleThreadedGc = { ms: Object.fromEntries(Object.entries(runs).map(([mode, xs]) => [mode, median(xs.map((x) => x.ms))])), runs };
}

const row = (name, w) => {
  if (!results[w]) return undefined; // not among --workloads
  const { ms, runs } = results[w];
  const allocs = runs.jshook.at(-1).allocs;
  const ours = ms.traced - ms.original;
  const theirs = ms.jshook - ms.original;
  // Below 2% of the original run, our overhead is within this machine's noise.
  const overheadRatio = ours > ms.original * 0.02 ? `${(theirs / ours).toFixed(0)}×` : `n/a (ours is within noise)`;
  return `| ${name} | ${allocs.toLocaleString('en')} | ${ms.original.toFixed(1)} ms | ${ms.traced.toFixed(1)} ms | **${(ms.traced / ms.original).toFixed(2)}×** | ${ms.jshook.toFixed(1)} ms (${(ms.jshook / ms.original).toFixed(2)}×) | **${(ms.jshook / ms.traced).toFixed(1)}×** | ${overheadRatio} |`;
};
const churnTraced = results.churn?.traced;
const spread = (w, m) => {
  const xs = results[w].runs[m].map((x) => x.ms);
  return `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms`;
};
const perTrace = churnTraced && churnTraced.tracerBytes / churnTraced.traces;
const table = [
  `Medians of ${rounds} runs each (the JS-hook baseline: ${Math.min(rounds, 3)}), one process per run, on ${os.cpus()[0].model.trim()} (${os.cpus().length} cores), Node ${process.version}; nframe=1.`,
  '',
  '| workload | allocations | original | traced | traced / original | JS-hook baseline | baseline / traced (time) | baseline / traced (overhead) |',
  '|---|---|---|---|---|---|---|---|',
  row('C malloc/free churn (100k live blocks, 1M rounds)', 'churn'),
  row('sql.js: 20k inserts + 40 queries', 'sqljs'),
  row('tree-sitter: parse 269 KB of JavaScript', 'treesitter'),
  '',
  'Deep tracebacks (instrumented with a 128-frame shadow stack):',
  '',
  '| workload | original | shadow stack, start(1) | ratio | shadow stack, start(16) | ratio |',
  '|---|---|---|---|---|---|',
  ...['churn', 'sqljs', 'treesitter'].filter((w) => results[w]).map((w) => {
    const { ms } = results[w];
    return `| ${w} | ${ms.original.toFixed(1)} ms | ${ms.deep1.toFixed(1)} ms | **${(ms.deep1 / ms.original).toFixed(2)}×** | ${ms.deep16.toFixed(1)} ms | **${(ms.deep16 / ms.original).toFixed(2)}×** |`;
  }),
  '',
  `Sampled tracing (\`start(1, { samplingIntervalBytes: ${sampleBytes} })\`, allocation sites only; sizes and counts are estimates):`,
  '',
  '| workload | original | sampled | ratio | exact (traced) | ratio |',
  '|---|---|---|---|---|---|',
  ...['churn', 'sqljs', 'treesitter'].filter((w) => results[w]).map((w) => {
    const { ms } = results[w];
    return `| ${w} | ${ms.original.toFixed(1)} ms | ${ms.sampled.toFixed(1)} ms | **${(ms.sampled / ms.original).toFixed(2)}×** | ${ms.traced.toFixed(1)} ms | ${(ms.traced / ms.original).toFixed(2)}× |`;
  }),
  '',
  results.churn ? `Churn spread over the ${rounds} processes: original ${spread('churn', 'original')}, traced ${spread('churn', 'traced')}.` : undefined,
  results.churnSingleThreadedGc
    ? `Churn with \`node --single-threaded-gc\`: original ${results.churnSingleThreadedGc.ms.original.toFixed(1)} ms (${spread('churnSingleThreadedGc', 'original')}), traced ${results.churnSingleThreadedGc.ms.traced.toFixed(1)} ms (${spread('churnSingleThreadedGc', 'traced')}): **${(results.churnSingleThreadedGc.ms.traced / results.churnSingleThreadedGc.ms.original).toFixed(2)}×**; sampled ${results.churnSingleThreadedGc.ms.sampled.toFixed(1)} ms (${spread('churnSingleThreadedGc', 'sampled')}): **${(results.churnSingleThreadedGc.ms.sampled / results.churnSingleThreadedGc.ms.original).toFixed(2)}×**.`
    : undefined,
  '',
  churnTraced ? `Tracer memory per live allocation (churn, ${churnTraced.traces} live traces): ${perTrace.toFixed(1)} B (getTracemallocMemory() = ${churnTraced.tracerBytes} B).` : undefined,
].filter((line) => line !== undefined);
writeFileSync(`${here}out/results.json`, JSON.stringify(results, null, 2));
writeFileSync(`${here}out/results.md`, `${table.join('\n')}\n`);
process.stdout.write(`${table.join('\n')}\n`);
