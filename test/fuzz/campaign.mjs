// A campaign: mutants [start, start + count) of one kind and seed, checked by a
// pool of worker processes (worker.mjs), each reused until it crashes, hangs, goes
// over the memory bound or may have been left in a bad state, then replaced.
// Failing mutants are written to `out` with the command that regenerates them.

import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusFor } from './corpus.mjs';
import { makeMutant } from './mutators.mjs';

const WORKER = new URL('./worker.mjs', import.meta.url);
/** A V8 heap bound per worker: a loader that allocates from a count it read runs out of it and is caught. */
const HEAP_MB = 1024;
/**
 * Resident memory a worker may reach; above it the last mutant is a defect. A
 * snapshot of at most 17 KB has no reason to need more than a few MiB.
 */
const RSS_LIMIT_MB = { instrument: 1536, snapshot: 512 };
/** Jobs before a worker is replaced anyway: every traced instance takes a domain id, and memory creeps. */
const RECYCLE_AFTER = 300;
export const DEFAULT_TIMEOUT_MS = { instrument: 20_000, snapshot: 5_000 };

export function reproduceCommand(kind, seed, index) {
  return `npm run fuzz -- --kind ${kind} --seed ${seed} --only ${index}`;
}

// An exception from inside binaryen's Wasm (abort, a bad memory access) may leave
// its state broken for the next mutant: replace the worker after one.
const mayCorrupt = (defect) => /RuntimeError|RangeError|non-Error|Aborted|abort/i.test(defect);

function startWorker() {
  const child = fork(WORKER, [], { execArgv: [`--max-old-space-size=${HEAP_MB}`], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
  const worker = { child, output: '', ready: undefined, jobs: 0, exited: false };
  child.stdout.on('data', (d) => (worker.output += d));
  child.stderr.on('data', (d) => (worker.output += d));
  worker.ready = new Promise((resolve, reject) => {
    child.once('message', (m) => (m.ready ? resolve() : reject(new Error('fuzz: worker did not start'))));
    child.once('close', (code) => reject(new Error(`fuzz: worker exited (${code}) before it was ready:\n${worker.output}`)));
  });
  child.on('exit', () => (worker.exited = true));
  return worker;
}

/**
 * A started worker. A package being rebuilt (its dist/ briefly missing) fails a
 * start: wait and try again before giving up on the campaign.
 */
async function startWorkerPatiently(attempts = 10) {
  for (let i = 1; ; i++) {
    const worker = startWorker();
    try {
      await worker.ready;
      return worker;
    } catch (e) {
      if (i === attempts) {
        const cause = /Error[^\n]*: [^\n]*/.exec(e.message)?.[0] ?? e.message.split('\n')[0];
        throw new Error(`a worker could not start ${attempts} times; the last time: ${cause}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}

/** Checks one mutant in `worker`: resolves to its outcome, whatever happens to the process. */
function check(worker, kind, seed, index, timeoutMs) {
  return new Promise((resolve) => {
    worker.output = '';
    let done = false;
    const finish = (outcome, replace) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      worker.child.off('message', onMessage);
      worker.child.off('close', onExit);
      resolve({ outcome, replace });
    };
    const onMessage = (m) => {
      if (m.index !== index) return;
      const outcome = { index, ms: m.ms, defect: m.defect, detail: m.detail, regions: m.regions, verdict: m.verdict };
      // Anything printed past the worker's own capture (a write to fd 1 from Wasm, say).
      if (!outcome.defect && worker.output.trim()) Object.assign(outcome, { defect: 'output noise (written past console)', detail: worker.output.slice(0, 2000) });
      outcome.rss = m.rss;
      if (!outcome.defect && m.rss > RSS_LIMIT_MB[kind] * 2 ** 20) Object.assign(outcome, { defect: `memory: worker over ${RSS_LIMIT_MB[kind]} MiB resident`, detail: `${Math.round(m.rss / 2 ** 20)} MiB after this mutant` });
      finish(outcome, !!outcome.defect && (mayCorrupt(outcome.defect) || outcome.defect.startsWith('memory')));
    };
    const onExit = (code, signal) => {
      const oom = /heap out of memory|Allocation failed/i.test(worker.output);
      const defect = oom ? `crash: out of memory (heap bound ${HEAP_MB} MiB)` : `crash: worker exited (${signal ?? `code ${code}`})`;
      finish({ index, defect, detail: worker.output.slice(-3000) }, true);
    };
    const timer = setTimeout(() => {
      finish({ index, ms: timeoutMs, defect: `hang: over ${timeoutMs / 1000} s`, detail: '' }, true);
    }, timeoutMs);
    worker.child.on('message', onMessage);
    // 'close', not 'exit': by then the dying words on stderr (an abort message) have arrived.
    worker.child.on('close', onExit);
    worker.child.send({ kind, seed, index });
  });
}

/** A name for a failing mutant's files: kind, seed, index. */
function mutantFileName(kind, seed, index) {
  return `${kind}-s${seed}-${index}${kind === 'instrument' ? '.wasm' : '.wtmsnap'}`;
}

/** Writes a failing mutant and what to know about it; returns the mutant's path. */
export function writeFailure(out, kind, seed, result, corpus) {
  mkdirSync(out, { recursive: true });
  const mutant = makeMutant(kind, seed, result.index, corpus);
  const file = join(out, mutantFileName(kind, seed, result.index));
  writeFileSync(file, mutant.bytes);
  const text = [
    `class: ${result.defect}`,
    `mutant: ${kind} seed ${seed} index ${result.index}, from ${mutant.original}: ${mutant.what}`,
    `regenerate: ${reproduceCommand(kind, seed, result.index)}`,
    kind === 'instrument'
      ? `try it: node packages/cli/bin/wasm-tracemalloc.js instrument ${file} -o /tmp/out.wasm --max-frames ${mutant.options.maxFrames} --symbols ${mutant.options.symbols}`
      : `try it: node packages/cli/bin/wasm-tracemalloc.js show ${file}`,
    '',
    result.detail ?? '',
  ].join('\n');
  writeFileSync(`${file}.txt`, text);
  return file;
}

/**
 * Runs the campaign. Returns every defect (with its class), the count checked,
 * the time taken and the slowest mutants. `indices` overrides start/count.
 */
export async function runCampaign({ kind, seed, start = 0, count, indices, workers = 2, timeoutMs = DEFAULT_TIMEOUT_MS[kind], out, keepPerClass = 10, onProgress }) {
  const todo = indices ?? Array.from({ length: count }, (_, i) => start + i);
  const corpus = corpusFor(kind); // also records the snapshot corpus before workers read it
  const started = performance.now();
  const defects = [];
  const written = new Map(); // class → files written
  const times = [];
  const verdicts = {}; // how the mutants that hold did: refused, loaded, instrumented…
  let peakRss = 0;
  let next = 0;
  let checked = 0;

  async function lane() {
    let worker;
    while (next < todo.length) {
      const index = todo[next++];
      if (!worker || worker.exited || worker.jobs >= RECYCLE_AFTER) {
        if (worker && !worker.exited) worker.child.kill('SIGKILL');
        worker = await startWorkerPatiently();
      }
      worker.jobs++;
      const { outcome, replace } = await check(worker, kind, seed, index, timeoutMs);
      checked++;
      times.push({ index, ms: outcome.ms ?? 0 });
      if (outcome.rss > peakRss) peakRss = outcome.rss;
      if (outcome.verdict) verdicts[outcome.verdict] = (verdicts[outcome.verdict] ?? 0) + 1;
      if (outcome.defect) {
        defects.push(outcome);
        const files = written.get(outcome.defect) ?? [];
        if (out && files.length < keepPerClass) files.push(writeFailure(out, kind, seed, outcome, corpus));
        written.set(outcome.defect, files);
      }
      if (replace) {
        worker.child.kill('SIGKILL');
        worker = undefined;
      }
      onProgress?.(checked, todo.length, defects.length);
    }
    if (worker && !worker.exited) worker.child.kill('SIGKILL');
  }
  await Promise.all(Array.from({ length: Math.min(workers, todo.length) }, lane));

  const byClass = new Map();
  for (const d of defects.sort((a, b) => a.index - b.index)) {
    const entry = byClass.get(d.defect) ?? { count: 0, first: d, files: written.get(d.defect) ?? [], regions: {} };
    entry.count++;
    // A worker that crashed or hung said nothing about its mutant: make it again here.
    for (const r of d.regions ?? makeMutant(kind, seed, d.index, corpus).regions) entry.regions[r] = (entry.regions[r] ?? 0) + 1;
    byClass.set(d.defect, entry);
  }
  times.sort((a, b) => b.ms - a.ms);
  return { kind, seed, checked, defects, byClass, verdicts, seconds: (performance.now() - started) / 1000, slowest: times.slice(0, 3), peakRssMiB: Math.round(peakRss / 2 ** 20), corpus: corpus.map((c) => c.name) };
}
