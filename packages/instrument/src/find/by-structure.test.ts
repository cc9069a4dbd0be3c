import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { readModule } from '../binary/module.js';
import { findAllocators } from './index.js';

const { i32, none } = binaryen;
const pair = binaryen.createType([i32, i32]);

/**
 * A heap whose state lives at fixed addresses (as dlmalloc's `_gm_` does): malloc and
 * free exported under minified names that only a glue file maps; realloc internal.
 * `header` builds SQLite's shape instead: a wrapper that keeps the size 8 bytes before
 * the block, with the realloc inlined (`free(p - 8)`, `malloc(n + 8)`).
 */
function heapModule(header: boolean): Uint8Array {
  const m = new binaryen.Module();
  m.setMemory(1, 1, 'memory');
  const TOP = 16;
  const top = () => m.i32.load(0, 4, m.i32.const(TOP));
  m.addFunction('malloc', i32, i32, [i32], m.block(null, [
    m.local.set(1, m.if(m.i32.eqz(top()), m.i32.const(1024), top())),
    m.i32.store(0, 4, m.i32.const(TOP), m.i32.add(m.local.get(1, i32), m.i32.and(m.i32.add(m.local.get(0, i32), m.i32.const(15)), m.i32.const(-16)))),
    m.local.get(1, i32),
  ], i32));
  m.addFunction('free', i32, none, [], m.i32.store(0, 4, m.i32.const(TOP + 4), m.local.get(0, i32)));
  m.addFunction('unrelated', i32, none, [], m.i32.store(0, 4, m.local.get(0, i32), m.i32.const(0)));
  const off = header ? 8 : 0;
  const p = () => (off ? m.i32.sub(m.local.get(0, i32), m.i32.const(off)) : m.local.get(0, i32));
  const n = () => (off ? m.i32.add(m.local.get(1, i32), m.i32.const(off)) : m.local.get(1, i32));
  // realloc(p, n): a new block, the old one's bytes, the old one freed.
  m.addFunction('realloc', pair, i32, [i32], m.block(null, [
    m.local.set(2, m.call('malloc', [n()], i32)),
    m.memory.copy(m.local.get(2, i32), p(), m.i32.const(8)),
    m.call('free', [p()], none),
    off ? m.i32.add(m.local.get(2, i32), m.i32.const(off)) : m.local.get(2, i32),
  ], i32));
  m.addFunctionExport('malloc', 'Ia');
  m.addFunctionExport('free', 'Ja');
  m.addFunctionExport('realloc', 'grow');
  m.setFeatures(binaryen.Features.BulkMemory);
  binaryen.setDebugInfo(false); // stripped, as a release build is (instrument() turns it on)
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

const glue = [{ name: 'app.js', text: 'var _malloc=a0=>(_malloc=wasmExports["Ia"])(a0);var _free=a0=>(_free=wasmExports["Ja"])(a0);' }];

describe('missing partners found by structure', () => {
  it('takes the function that calls malloc and frees its first argument for realloc', () => {
    const found = findAllocators(readModule(heapModule(false)), { glue, scans: undefined });
    // Without body scans (call lists) structure does not run: malloc and free only.
    expect(found.allocators.map((a) => a.matchedBy)).toEqual(['Ia', 'Ja']);
  });

  it('reads a realloc with a header, keying the block as malloc did', async () => {
    const { instrument } = await import('../instrument.js');
    const plain = instrument(heapModule(false), { source: 'heap.wasm', glue, maxFrames: 1 });
    expect(plain.allocators.map((a) => [a.role, a.name, a.evidence.finder])).toEqual([['malloc', 'Ia', 'glue'], ['free', 'Ja', 'glue'], ['realloc', 'grow', 'structure']]);
    const withHeader = instrument(heapModule(true), { source: 'heap.wasm', glue, maxFrames: 1 });
    const realloc = withHeader.allocators.find((a) => a.role === 'realloc')!;
    expect(realloc.evidence.detail).toBe('(i32, i32) → i32 allocating as Ia does and freeing its first argument as Ja does, keeping a 8-byte header (frees its first argument -8), called from 0 places');

    const { instantiateTraced, takeSnapshot, start, stop, getTracerStats } = await import('@wasm-tracemalloc/runtime');
    stop();
    start(1);
    const { instance } = await instantiateTraced(withHeader.bytes, {}, { name: 'heap.wasm' });
    const e = instance.exports as unknown as { Ia(n: number): number; Ja(p: number): void; grow(p: number, n: number): number };
    // SQLite's way: malloc(n + 8), hand out block + 8; realloc and free take block + 8.
    const block = e.Ia(40 + 8);
    const moved = e.grow(block + 8, 100);
    expect(takeSnapshot().traces.map((t) => t.size)).toEqual([108]);
    e.Ja(moved - 8);
    expect(takeSnapshot().traces).toEqual([]);
    expect(getTracerStats()).toMatchObject({ untracedFrees: 0, doubleFrees: 0 });
    stop();
  });
});
