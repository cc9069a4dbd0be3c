import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { readModule } from '../binary/module.js';
import { findAllocators } from './index.js';

const { i32, none } = binaryen;

/**
 * A stripped wasm-bindgen release build in miniature: the shim checks the layout, then
 * calls `$rust_alloc(size, align)`, which picks `$memalign(align, size)` or
 * `$malloc(size)`; Rust code calls `$malloc` directly. Only the shim is exported.
 */
function bindgenModule(): Uint8Array {
  const m = new binaryen.Module();
  m.setMemory(1, 1, 'memory');
  m.addGlobal('top', i32, true, m.i32.const(1024));
  const bump = (size: number) => m.block(null, [m.global.set('top', m.i32.add(m.global.get('top', i32), size)), m.i32.sub(m.global.get('top', i32), m.local.get(0, i32))], i32);
  m.addFunction('malloc', i32, i32, [], bump(m.local.get(0, i32)));
  m.addFunction('memalign', binaryen.createType([i32, i32]), i32, [], m.block(null, [m.drop(m.local.get(0, i32)), m.call('malloc', [m.local.get(1, i32)], i32)], i32));
  m.addFunction('free', i32, none, [], m.i32.store(0, 4, m.local.get(0, i32), m.i32.const(0)));
  m.addFunction('valid', binaryen.createType([i32, i32]), i32, [], m.i32.lt_u(m.local.get(0, i32), m.i32.const(1 << 30)));
  m.addFunction('rust_alloc', binaryen.createType([i32, i32]), i32, [], m.block('b', [
    m.if(m.i32.ge_u(m.local.get(1, i32), m.i32.const(9)), m.br('b', undefined, m.call('memalign', [m.local.get(1, i32), m.local.get(0, i32)], i32))),
    m.call('malloc', [m.local.get(0, i32)], i32),
  ], i32));
  // As wasm-bindgen's: a zero size returns the alignment, a dangling pointer, and frees nothing.
  m.addFunction('shim_malloc', binaryen.createType([i32, i32]), i32, [i32], m.block('ok', [
    m.if(m.i32.eqz(m.local.get(0, i32)), m.return(m.local.get(1, i32))),
    m.if(m.i32.eqz(m.call('valid', [m.local.get(0, i32), m.local.get(1, i32)], i32)), m.unreachable()),
    m.local.set(2, m.call('rust_alloc', [m.local.get(0, i32), m.local.get(1, i32)], i32)),
    m.local.get(2, i32),
  ], i32));
  m.addFunction('shim_free', binaryen.createType([i32, i32, i32]), none, [], m.if(m.local.get(1, i32), m.call('free', [m.local.get(0, i32)], none)));
  m.addFunction('rust_code', i32, i32, [], m.call('malloc', [m.local.get(0, i32)], i32));
  m.addFunctionExport('shim_malloc', '__wbindgen_malloc');
  m.addFunctionExport('shim_free', '__wbindgen_free');
  m.addFunctionExport('rust_code', 'work');
  binaryen.setDebugInfo(false); // stripped, as a release build is (instrument() turns it on)
  binaryen.setDebugInfo(false); // stripped, as a release build is (instrument() turns it on)
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

describe('following shims and thunks', () => {
  it('follows wasm-bindgen\'s shims down to the allocator Rust code calls, and not into the layout check', () => {
    const info = readModule(bindgenModule());
    expect(info.hasNameSection).toBe(false);
    const found = findAllocators(info).allocators.map((a) => [a.matchedBy, a.spec.kind, a.spec.params, a.spec.size ?? a.spec.ptr, a.evidence.finder]);
    // Functions: 0 malloc, 1 memalign, 2 free, 3 valid, 4 rust_alloc, 5 shim_malloc, 6 shim_free.
    expect(found).toEqual([
      ['wasm-function[0]', 'alloc', 1, 0, 'wasm-bindgen shim'],
      ['wasm-function[1]', 'alloc', 2, 1, 'wasm-bindgen shim'],
      ['wasm-function[2]', 'free', 1, 0, 'wasm-bindgen shim'],
      ['wasm-function[4]', 'alloc', 2, 0, 'wasm-bindgen shim'],
      ['__wbindgen_malloc', 'alloc', 2, 0, 'export'],
      ['__wbindgen_free', 'free', 3, 0, 'export'],
    ]);
  });

  it('does not take a function that only receives the pointer and writes nothing for a free', () => {
    const m = new binaryen.Module();
    m.setMemory(1, 1, 'memory');
    m.addFunction('check', i32, none, [], m.drop(m.local.get(0, i32)));
    m.addFunction('free', i32, none, [], m.call('check', [m.local.get(0, i32)], none));
    m.addFunction('malloc', i32, i32, [], m.local.get(0, i32));
    m.addFunctionExport('free', 'free');
    m.addFunctionExport('malloc', 'malloc');
    binaryen.setDebugInfo(false);
    const info = readModule(m.emitBinary());
    m.dispose();
    expect(findAllocators(info).allocators.map((a) => a.matchedBy)).toEqual(['free', 'malloc']);
  });

  it('traces each allocation once, at the outermost call: JS through the shim, Rust code directly', async () => {
    const { instrument } = await import('../instrument.js');
    const { instantiateTraced, takeSnapshot, start, stop, getTracerStats } = await import('@wasm-tracemalloc/runtime');
    const result = instrument(bindgenModule(), { source: 'bindgen.wasm', maxFrames: 1 });
    stop();
    start(1);
    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'bindgen.wasm' });
    const e = instance.exports as unknown as { __wbindgen_malloc(s: number, a: number): number; __wbindgen_free(p: number, s: number, a: number): void; work(s: number): number };
    const a = e.__wbindgen_malloc(100, 1);
    e.__wbindgen_malloc(24, 16); // memalign → malloc inside: one block
    for (let i = 0; i < 10; i++) e.work(8);
    e.__wbindgen_free(a, 100, 1);
    // Zero sizes: nothing allocated, nothing freed, nothing recorded (an empty Vec's
    // dangling pointer is freed with size 0, whatever it is).
    expect(e.__wbindgen_malloc(0, 4)).toBe(4);
    expect(takeSnapshot().traces).toHaveLength(11);
    e.__wbindgen_free(4, 0, 4);
    e.__wbindgen_free(8, 0, 8);
    const traces = takeSnapshot().traces;
    expect([traces.length, traces.reduce((n, t) => n + t.size, 0)]).toEqual([11, 24 + 80]);
    expect(getTracerStats()).toMatchObject({ untracedFrees: 0, doubleFrees: 0 });
    stop();
  });
});
