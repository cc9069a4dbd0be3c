// Every fixture build, instrumented and run phase by phase through the real pass and
// the real runtime. After each phase the tracer must agree exactly with facts.ts:
// current, peak, block counts, and the blocks held by each allocation site.

import { describe, expect, it, beforeEach } from 'vitest';
import { openSync, readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import {
  instrument,
  instantiateTraced,
  start,
  stop,
  resetPeak,
  getTracedMemory,
  getTracerStats,
  takeSnapshot,
  getFreeErrors,
  type Snapshot,
} from 'wasm-tracemalloc';
import { BUILDS, buildFact, buildPath, functionIn, sitesOf, srcPath, stepsOf, type BuildFact } from './fixtures/facts.js';

const devNull = openSync('/dev/null', 'w');

/** Live blocks per (direct caller, size), from the snapshot's traces. */
function blocksBy(snapshot: Snapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const trace of snapshot.traces) {
    const frame = trace.traceback.frames.at(-1)!;
    const key = `${frame.function}|${trace.size}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

function importsFor(build: BuildFact): { imports: WebAssembly.Imports; wasi?: WASI } {
  if (build.run === 'wasi-reactor' || build.run === 'wasi-command') {
    const wasi = new WASI({ version: 'preview1', args: [build.file], returnOnExit: true, stdout: devNull });
    return { imports: { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, wasi };
  }
  if (build.run === 'assemblyscript') {
    return { imports: { env: { abort: () => { throw new Error('AssemblyScript abort'); } } } };
  }
  return { imports: {} };
}

const instances = new WeakMap<object, WebAssembly.Instance>();
const instanceOf = (exports: object) => instances.get(exports)!;

const phased = BUILDS.filter((b) => b.steps && b.nameSection);

describe.each(phased.map((b) => [b.file, b] as const))('%s traced phase by phase', (file, build) => {
  beforeEach(() => {
    stop();
    start(1);
  });

  it('matches the facts of every phase exactly', async () => {
    // Sites are told apart by their name-section function here (test/symbolize.test.ts
    // checks their source lines), so no source frames.
    const result = instrument(readFileSync(buildPath(file)), { source: file, symbols: 'none' });
    expect(result.status).toBe('instrumented');
    const { imports, wasi } = importsFor(build);
    const results = new Map<string, number>();
    let exports: Record<string, (...a: number[]) => number> = {};
    const facts = stepsOf(file);

    for (const step of build.steps!) {
      const [current0] = getTracedMemory();
      const before = getTracerStats();
      const snapshotBefore = takeSnapshot();
      resetPeak();
      if (step.label === 'instantiate' || !exports[step.export]) {
        if (Object.keys(exports).length === 0) {
          const { instance } = await instantiateTraced(result.bytes, imports, { name: file });
          exports = instance.exports as typeof exports;
          instances.set(exports, instance);
        }
      }
      if (step.export === '_initialize' && wasi) {
        wasi.initialize(instanceOf(exports)); // node:wasi runs _initialize itself
      } else if (step.export) {
        const args = (step.args ?? []).map((a) => (typeof a === 'number' ? a : results.get(a.resultOf)!));
        const value = exports[step.export]!(...args);
        if (step.returns !== undefined) expect(value, `${step.label} returns`).toBe(step.returns);
        results.set(step.label, value);
      }

      const [current, peak] = getTracedMemory();
      const after = getTracerStats();
      const fact = facts.find((f) => f.phase === step.label);
      if (fact) {
        const what = `${file} ${step.label}`;
        expect(current - current0, `${what}: live bytes change`).toBe(fact.liveDelta);
        expect(peak - current0, `${what}: peak above the start`).toBe(fact.peakDelta);
        expect(after.traces - before.traces, `${what}: live blocks change`).toBe(fact.blocksDelta);
        expect(after.untracedFrees - before.untracedFrees, `${what}: untraced frees`).toBe(fact.untracedFrees);
        expect(after.doubleFrees, `${what}: double frees`).toBe(0);
        expect(after.lostTraces, `${what}: lost traces`).toBe(0);
      }
      const snapshot = takeSnapshot();
      const blocks = blocksBy(snapshot);
      for (const site of sitesOf(file, step.label)) {
        const key = `${functionIn(site, file)}|${site.size}`;
        expect(blocks.get(key) ?? 0, `${file} after ${step.label}: blocks of ${site.size} B allocated in ${functionIn(site, file)}`).toBe(site.count);
      }
      // compareTo against the start of the phase shows exactly what the phase added.
      if (fact && fact.blocksDelta > 0 && fact.frees === 0) {
        const added = snapshot.compareTo(snapshotBefore, 'lineno').reduce((n, d) => n + d.countDiff, 0);
        expect(added, `${file} ${step.label}: compareTo count`).toBe(fact.blocksDelta);
      }
    }
  });
});

describe('leak.reactor.wasm: what a tracemalloc user sees', () => {
  beforeEach(() => {
    stop();
    start(1);
  });

  it('compareTo puts the leak at the top: 1000 blocks of 100 B at leak.c:61', async () => {
    const file = 'leak.reactor.wasm';
    const { imports } = importsFor(buildFact(file));
    const { instance } = await instantiateTraced(instrument(readFileSync(buildPath(file))).bytes, imports, { name: file });
    const e = instance.exports as Record<string, () => number>;
    e._initialize!();
    const before = takeSnapshot();
    e.phase_leak_nodes!();
    e.phase_churn!();
    const after = takeSnapshot();
    const [top] = after.compareTo(before, 'lineno');
    expect(top!.toString()).toBe(`${srcPath('leak.c')}:61: size=97.7 KiB (+97.7 KiB), count=1000 (+1000), average=100 B`);
    expect(after.compareTo(before, 'lineno')).toHaveLength(1); // churn left nothing behind
    const [byFile] = after.statistics('filename');
    expect(byFile!.toString()).toBe(`${srcPath('leak.c')}:0: size=97.7 KiB, count=1000, average=100 B`);
  });

  it('without symbols, frames name the function and the call offset', async () => {
    const file = 'leak.reactor.wasm';
    const { imports } = importsFor(buildFact(file));
    const { instance, name } = await instantiateTraced(instrument(readFileSync(buildPath(file)), { symbols: 'none' }).bytes, imports, { name: file });
    const e = instance.exports as Record<string, () => number>;
    e._initialize!();
    e.phase_leak_nodes!();
    const [top] = takeSnapshot().statistics('lineno');
    expect(top!.toString().replace(name, 'leak.reactor.wasm')).toMatch(/^leak\.reactor\.wasm:leak_nodes\+0x[0-9a-f]+: size=97\.7 KiB, count=1000, average=100 B$/);
  });

  it('dump and load round-trip the snapshot', async () => {
    const file = 'leak.reactor.wasm';
    const { imports } = importsFor(buildFact(file));
    const { instance } = await instantiateTraced(instrument(readFileSync(buildPath(file))).bytes, imports, { name: file });
    const e = instance.exports as Record<string, () => number>;
    e._initialize!();
    for (const p of ['phase_leak_nodes', 'phase_grow_buffer', 'phase_zeroed', 'phase_aligned']) e[p]!();
    const snapshot = takeSnapshot();
    const loaded = (snapshot.constructor as typeof Snapshot).load(snapshot.dump(), 'leak.wtmsnap');
    expect(loaded.statistics('lineno').map(String)).toEqual(snapshot.statistics('lineno').map(String));
    expect(loaded.length).toBe(1000 + 1 + 10 + 2);
  });

});

describe('each instance is its own domain', () => {
  it('separates two instances of one module and filters them with DomainFilter', async () => {
    stop();
    start(1);
    const file = 'lib_rs.wasm';
    // Frames named by module (no source frames), so that a Filter can glob the module name.
    const bytes = instrument(readFileSync(buildPath(file)), { symbols: 'none' }).bytes;
    const a = await instantiateTraced(bytes, {}, { name: file });
    const b = await instantiateTraced(bytes, {}, { name: file });
    expect(a.domain).not.toBe(b.domain);
    (a.instance.exports.alloc_blocks as (n: number, s: number) => number)(3, 100);
    (b.instance.exports.alloc_blocks as (n: number, s: number) => number)(5, 64);
    const snapshot = takeSnapshot();
    const { DomainFilter, Filter } = await import('wasm-tracemalloc');
    const onlyB = snapshot.filterTraces([new DomainFilter(true, b.domain)]);
    expect(b.name).toMatch(/^lib_rs\.wasm#\d+$/);
    expect(onlyB.statistics('filename').map(String)).toEqual([`${b.name}:0: size=320 B, count=5, average=64 B`]);
    const notB = snapshot.filterTraces([new DomainFilter(false, b.domain)]);
    expect(notB.statistics('filename').map((s) => [s.size, s.count])).toEqual([[300, 3]]);
    const byGlob = snapshot.filterTraces([new Filter(true, b.name)]);
    expect(byGlob.length).toBe(5);
    expect(getFreeErrors()).toEqual([]);
  });
});
