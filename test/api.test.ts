// tracemalloc's module functions, with tracemalloc's semantics, on real modules.

import { describe, expect, it, beforeEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import * as tm from 'wasm-tracemalloc';
import { Snapshot } from 'wasm-tracemalloc';
import { buildPath, stepsOf } from './fixtures/facts.js';

type Fn = (...a: number[]) => number;

async function libRs() {
  const { instance, domain } = await tm.instantiate(readFileSync(buildPath('lib_rs.wasm')), {}, { name: 'lib_rs.wasm' });
  return { e: instance.exports as unknown as Record<string, Fn>, domain };
}

describe('tracemalloc API', () => {
  beforeEach(() => tm.stop());

  it('takeSnapshot needs tracing; start validates nframe and keeps the first limit', () => {
    expect(tm.isTracing()).toBe(false);
    expect(() => tm.takeSnapshot()).toThrow(/must be tracing memory allocations to take a snapshot/);
    expect(() => tm.start(0)).toThrow(RangeError);
    expect(() => tm.start(1.5)).toThrow(RangeError);
    tm.start(5);
    expect(tm.isTracing()).toBe(true);
    expect(tm.getTracebackLimit()).toBe(5);
    tm.start(3); // already tracing: no change, as in tracemalloc
    expect(tm.getTracebackLimit()).toBe(5);
    expect(tm.takeSnapshot().tracebackLimit).toBe(5);
  });

  it('does not trace allocations made before start(); their frees are counted as untraced', async () => {
    const { e } = await libRs();
    expect(e.alloc_blocks!(10, 100)).toBe(10);
    tm.start();
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    expect(e.free_blocks!()).toBe(10);
    expect(tm.getTracerStats()).toMatchObject({ traces: 0, untracedFrees: 10, doubleFrees: 0 });
    expect(tm.getFreeErrors().every((f) => f.kind === 'untraced' && f.module.startsWith('lib_rs.wasm'))).toBe(true);
  });

  it('tracks current and peak exactly; resetPeak sets peak to current; clearTraces keeps tracing', async () => {
    tm.start();
    const { e } = await libRs();
    e.alloc_blocks!(1000, 100);
    e.alloc_blocks!(10, 4096);
    expect(tm.getTracedMemory()).toEqual([140960, 140960]);
    e.free_blocks!();
    expect(tm.getTracedMemory()).toEqual([0, 140960]);
    tm.resetPeak();
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    e.alloc_blocks!(3, 50);
    expect(tm.getTracedMemory()).toEqual([150, 150]);
    tm.clearTraces();
    expect(tm.isTracing()).toBe(true);
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    expect(tm.takeSnapshot().length).toBe(0);
    e.alloc_blocks!(2, 8);
    expect(tm.takeSnapshot().statistics('lineno').map((s) => [s.size, s.count])).toEqual([[16, 2]]);
  });

  it('stop() stops and clears; a later start() begins from zero', async () => {
    tm.start();
    const { e } = await libRs();
    e.alloc_blocks!(5, 100);
    const seen: tm.MemorySample[] = [];
    const unsubscribe = tm.onSample((s) => seen.push(s));
    tm.stop();
    unsubscribe();
    expect(tm.isTracing()).toBe(false);
    // The series ends with the last window and then 0 B: stop() cleared the traces.
    expect(seen.map((s) => [s.current, s.peak, s.traces])).toEqual([[500, 500, 5], [0, 0, 0]]);
    const series = tm.getSamples();
    expect([...series.current.slice(-2)]).toEqual([500, 0]);
    e.alloc_blocks!(5, 100); // not traced
    tm.start();
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    expect(tm.takeSnapshot().length).toBe(0);
  });

  it('samplingIntervalBytes: a real module’s 4 MiB of 1 KiB blocks estimated within 15%, 64 KiB blocks exactly, frees back to 0', async () => {
    expect(() => tm.start(1, { samplingIntervalBytes: 0.5 })).toThrow(
      'samplingIntervalBytes must be 0 (trace every allocation) or a number of bytes of at least 1, such as 4096; got 0.5',
    );
    // A number where the options go, or a misspelt option, would silently trace every allocation.
    expect(() => tm.start(1, 4096 as never)).toThrow('start(nframe, options): options must be an object such as { samplingIntervalBytes: 4096 }, got 4096');
    expect(() => tm.start(1, { samplingInterval: 4096 } as never)).toThrow('start(nframe, options): unknown option "samplingInterval"; the one option is samplingIntervalBytes');
    expect(tm.isTracing()).toBe(false);
    tm.start(1, { samplingIntervalBytes: 4096 });
    expect(tm.getSamplingIntervalBytes()).toBe(4096);
    const { e } = await libRs();
    expect(e.alloc_blocks!(4096, 1024)).toBe(4096);
    // p(1 KiB) = 1 − e^−0.25: about 906 traces, the estimate's standard deviation 2.9%.
    const [current] = tm.getTracedMemory();
    expect(Math.abs(current / (4 << 20) - 1)).toBeLessThan(0.15);
    const traces = tm.getTracerStats().traces;
    expect(traces).toBeGreaterThan(700);
    expect(traces).toBeLessThan(1100);
    const snapshot = tm.takeSnapshot();
    expect(snapshot.samplingIntervalBytes).toBe(4096);
    expect(snapshot.length).toBe(traces);
    expect(snapshot.traces.every((t) => t.size === 1024)).toBe(true);
    // The model weighs each trace as the core does: the statistics add up to get_traced_memory().
    const stats = snapshot.statistics('lineno');
    expect(stats.reduce((sum, s) => sum + s.size, 0)).toBe(current);
    expect(Math.abs(stats.reduce((sum, s) => sum + s.count, 0) / 4096 - 1)).toBeLessThan(0.15);
    expect(Snapshot.load(snapshot.dump()).statistics('lineno').map(String)).toEqual(stats.map(String));
    e.free_blocks!();
    // Frees of blocks that were not sampled are not invalid frees.
    expect(tm.getTracedMemory()[0]).toBe(0);
    expect(tm.getTracerStats()).toMatchObject({ traces: 0, untracedFrees: 0, doubleFrees: 0 });
    // Blocks of 16 × the interval: p = 1 − e^−16, each traced at its exact size.
    e.alloc_blocks!(10, 65536);
    expect(tm.getTracedMemory()[0]).toBe(655360);
    expect(tm.takeSnapshot().statistics('lineno').map((s) => [s.size, s.count])).toEqual([[655360, 10]]);
    tm.stop();
    expect(tm.getSamplingIntervalBytes()).toBe(0);
  });

  it('getTracemallocMemory reports the tracer’s own structures, growing with the traces', async () => {
    tm.start();
    const empty = tm.getTracemallocMemory();
    expect(empty).toBeGreaterThan(0);
    const { e } = await libRs();
    expect(e.alloc_blocks!(4096, 16)).toBe(4096); // the fixture keeps at most 4096
    const full = tm.getTracemallocMemory();
    expect(tm.getTracerStats().traces).toBe(4096);
    // 12-byte entries, at most 3/4 full, plus fixed structures; at most 64 B per trace here
    expect(full - empty).toBeGreaterThan((4096 * 12 * 4) / 3 - 12 * 1024);
    expect(full).toBeGreaterThan(4096 * 16);
    expect(full / 4096).toBeLessThanOrEqual(64);
  });

  it('getObjectTraceback finds where a block was allocated, and null for untraced pointers', async () => {
    tm.start();
    const { instance, domain, name } = await tm.instantiate(readFileSync(buildPath('leak_as.debug.wasm')), { env: { abort: () => {} } }, { name: 'leak_as.debug.wasm' });
    const e = instance.exports as unknown as Record<string, Fn>;
    const ptr = e.rawAlloc!(100) >>> 0;
    const tb = tm.getObjectTraceback(ptr, domain);
    expect(tb?.toString()).toMatch(new RegExp(`^${name.replace('.', '\\.')}:~lib/memory/heap\\.alloc\\+0x[0-9a-f]+$`));
    expect(tm.getObjectTraceback(ptr)).toEqual(tb); // searched in every domain
    e.rawFree!(ptr);
    expect(tm.getObjectTraceback(ptr, domain)).toBeNull();
    expect(tm.getObjectTraceback(12345, domain)).toBeNull();
  });

  it('samples memory over time: after each phase of leak.reactor.wasm, the sample holds the exact peak of the facts, however brief', async () => {
    tm.stopSampling(); // samples only where this test takes them
    try {
      tm.start();
      const wasi = new WASI({ version: 'preview1', args: ['leak.reactor.wasm'], returnOnExit: true });
      const { instance } = await tm.instantiate(readFileSync(buildPath('leak.reactor.wasm')), { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, { name: 'leak.reactor.wasm' });
      wasi.initialize(instance);
      const first = tm.takeSample();
      expect([first.current, first.peak, first.traces]).toEqual([0, 0, 0]);
      const phases = stepsOf('leak.reactor.wasm').filter((f) => f.phase.startsWith('phase_'));
      expect(phases.map((f) => f.phase)).toEqual(['phase_leak_nodes', 'phase_churn', 'phase_grow_buffer', 'phase_shrink_buffer', 'phase_realloc_move', 'phase_zeroed', 'phase_aligned', 'phase_release_all']);
      let live = 0;
      let blocks = 0;
      const expected: Array<[number, number, number]> = [];
      for (const fact of phases) {
        (instance.exports[fact.phase] as () => void)();
        const sample = tm.takeSample();
        // phase_churn: 100,000 B live, then 500 blocks (138,800 B) allocated and all freed: a peak of 238,800 B that no later sample sees.
        expected.push([live + fact.liveDelta, live + fact.peakDelta, blocks + fact.blocksDelta]);
        expect([sample.current, sample.peak, sample.traces], fact.phase).toEqual(expected.at(-1));
        live += fact.liveDelta;
        blocks += fact.blocksDelta;
      }
      expect(expected[1]).toEqual([100_000, 238_800, 1000]);
      // The series, and the snapshot (whose own sample comes last) through its file.
      const series = tm.getSamples();
      expect(series.time).toHaveLength(2 + phases.length);
      expect(series.peak.slice(2)).toEqual(expected.map((e) => e[1]));
      const snapshot = tm.Snapshot.load(tm.takeSnapshot().dump(), 'phases.wtmsnap');
      const samples = snapshot.samples!;
      expect(samples.start).toBe(series.start);
      expect(samples.time).toHaveLength(3 + phases.length);
      expect(samples.current.slice(2)).toEqual([...expected.map((e) => e[0]), 0]);
      expect(samples.peak.slice(2)).toEqual([...expected.map((e) => e[1]), 0]);
      expect(samples.traces.slice(2)).toEqual([...expected.map((e) => e[2]), 0]);
      expect(Math.max(...samples.peak)).toBe(snapshot.meta.peak);
      // A timer, when asked for: samples while the program idles, at the current size.
      tm.startSampling(5);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const timed = tm.getSamples();
      expect(timed.time.length - series.time.length).toBeGreaterThanOrEqual(5);
      expect(timed.current.slice(series.time.length)).toEqual(timed.current.slice(series.time.length).map(() => 0));
    } finally {
      tm.startSampling(100);
    }
  });
});
