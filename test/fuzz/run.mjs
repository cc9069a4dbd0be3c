#!/usr/bin/env node
// npm run fuzz [-- --count N] [--seed S] [--kind instrument|snapshot|all] [--start I]
//              [--only I] [--workers N] [--timeout MS] [--out DIR]
//
// Checks mutants start … start+count-1 of each kind (default: 500 of each, seed 1)
// against the properties in properties.mjs, prints the defects by class with one
// reproducer each, writes failing mutants under --out (default
// test-output/fuzz/KIND-sSEED) and exits 1 if there was any. `--only I` checks
// mutant I alone: the command a written failure names.
// Needs the built packages (pnpm run build) and fixtures (bash test/fixtures/build.sh).

import { writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = new URL('../..', import.meta.url).pathname;
const USAGE = 'usage: npm run fuzz -- [--count N] [--seed S] [--kind instrument|snapshot|all] [--start I] [--only I] [--workers N] [--timeout MS] [--out DIR]';

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        count: { type: 'string' }, seed: { type: 'string' }, kind: { type: 'string' }, start: { type: 'string' },
        only: { type: 'string' }, workers: { type: 'string' }, timeout: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail(`${e.message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name, fallback) => {
    if (values[name] === undefined) return fallback;
    const n = Number(values[name]);
    if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a whole number ≥ 0, got "${values[name]}"`);
    return n;
  };
  const kind = values.kind ?? 'all';
  if (!['instrument', 'snapshot', 'all'].includes(kind)) fail(`--kind must be instrument, snapshot or all, got "${kind}"`);
  if (values.only !== undefined && kind === 'all') fail('--only needs --kind instrument or --kind snapshot');
  return {
    kinds: kind === 'all' ? ['instrument', 'snapshot'] : [kind],
    seed: int('seed', 1), count: int('count', 500), start: int('start', 0), only: int('only', undefined),
    workers: Math.max(1, int('workers', 2)), timeoutMs: int('timeout', undefined), out: values.out,
  };
}

function fail(message) {
  console.error(`fuzz: ${message}`);
  process.exit(2);
}

/** Runs one kind's campaign, prints its defects by class and writes its summary; returns the defect count. */
async function campaign(kind, opts) {
  const out = opts.out ? join(opts.out, kind) : join(ROOT, 'test-output/fuzz', `${kind}-s${opts.seed}`);
  const indices = opts.only !== undefined ? [opts.only] : undefined;
  const report = await runCampaign({
    kind, seed: opts.seed, start: opts.start, count: opts.count, indices, workers: opts.workers, out,
    ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
    onProgress: (n, total, bad) => {
      if (process.stderr.isTTY && (n % 25 === 0 || n === total)) process.stderr.write(`\r${kind}: ${n}/${total}, ${bad} defects`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const which = indices ? `mutant ${opts.only}` : `mutants ${opts.start}-${opts.start + report.checked - 1}`;
  console.log(`${kind}, seed ${opts.seed}, ${which}: ${report.checked} checked in ${report.seconds.toFixed(1)} s, ${report.defects.length} defects`);
  console.log(`  corpus: ${report.corpus.join(', ')}`);
  console.log(`  held: ${Object.entries(report.verdicts).map(([v, n]) => `${n} ${v}`).join(', ') || 'none'}`);
  console.log(`  slowest: ${report.slowest.map((t) => `#${t.index} ${Math.round(t.ms)} ms`).join(', ')}; largest worker: ${report.peakRssMiB} MiB resident`);
  const classes = [...report.byClass].sort((a, b) => b[1].count - a[1].count);
  for (const [defect, { count, first, files, regions }] of classes) {
    console.log(`  ${String(count).padStart(5)} × ${defect}`);
    console.log(`          mutants touched: ${Object.entries(regions).sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ')}`);
    console.log(`          ${reproduceCommand(kind, opts.seed, first.index)}${files.length ? `  (${relative(process.cwd(), files[0])})` : ''}`);
  }
  if (indices && report.defects[0]) console.log(`\n${report.defects[0].detail ?? ''}`);
  if (!indices) {
    mkdirSync(out, { recursive: true });
    const summary = {
      kind, seed: opts.seed, start: opts.start, checked: report.checked, seconds: report.seconds, held: report.verdicts, corpus: report.corpus, slowest: report.slowest, peakRssMiB: report.peakRssMiB,
      classes: classes.map(([defect, e]) => ({ defect, count: e.count, regions: e.regions, reproduce: reproduceCommand(kind, opts.seed, e.first.index), files: e.files })),
    };
    writeFileSync(join(out, `summary-${opts.start}-${opts.start + report.checked - 1}.json`), JSON.stringify(summary, null, 2));
  }
  return report.defects.length;
}

const opts = options();
// Imported here, so that packages not built (or being rebuilt) give one line, not a stack.
const { runCampaign, reproduceCommand } = await import('./campaign.mjs').catch((e) =>
  fail(e.code === 'ERR_MODULE_NOT_FOUND' ? `${e.message.split('\n')[0]}; build the packages first (pnpm run build)` : e.message),
);
let defects = 0;
try {
  for (const kind of opts.kinds) defects += await campaign(kind, opts);
} catch (e) {
  fail(e.message);
}
process.exit(defects ? 1 : 0);
