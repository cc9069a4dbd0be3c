import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { DEPTH_EXPORT } from '@wasm-tracemalloc/runtime/abi';
import { instantiateTraced, start, stop, takeSnapshot } from '@wasm-tracemalloc/runtime';
import { instrument } from './instrument.js';

/**
 * A bump allocator: `malloc` traps (`unreachable`) on size 0x7ead, `free` keeps
 * nothing, and `realloc` copies through `fresh` (not an allocator), which calls malloc:
 * with `nest`, one allocator can run inside another. `make(n, size)` calls malloc n times.
 */
function allocatorModule(nest: boolean): Uint8Array {
  const m = new binaryen.Module();
  const { i32, none } = binaryen;
  m.setMemory(1, 1, 'memory');
  m.addGlobal('bump', i32, true, m.i32.const(1024));
  m.addFunction('malloc', i32, i32, [i32], m.block(null, [
    m.if(m.i32.eq(m.local.get(0, i32), m.i32.const(0x7ead)), m.unreachable()),
    m.local.set(1, m.global.get('bump', i32)),
    m.global.set('bump', m.i32.add(m.global.get('bump', i32), m.i32.and(m.i32.add(m.local.get(0, i32), m.i32.const(7)), m.i32.const(-8)))),
    m.local.get(1, i32),
  ], i32));
  m.addFunction('free', i32, none, [], m.nop());
  m.addFunction('fresh', i32, i32, [], m.call('malloc', [m.local.get(0, i32)], i32));
  m.addFunction('realloc', binaryen.createType([i32, i32]), i32, [], nest ? m.call('fresh', [m.local.get(1, i32)], i32) : m.call('malloc', [m.local.get(1, i32)], i32));
  m.addFunction('make', binaryen.createType([i32, i32]), none, [], m.loop('again', m.if(m.local.get(0, i32), m.block(null, [
    m.drop(m.call('malloc', [m.local.get(1, i32)], i32)),
    m.local.set(0, m.i32.sub(m.local.get(0, i32), m.i32.const(1))),
    m.br('again'),
  ]))));
  for (const f of ['malloc', 'free', 'realloc', 'make']) m.addFunctionExport(f, f);
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

describe('the nesting guard a trap could leave set', () => {
  it('is exported, as a mutable i32 global, only when allocators nest', () => {
    const nested = instrument(allocatorModule(true), { source: 'nested.wasm', maxFrames: 1 });
    expect(nested.nestingGuard).toBe(true);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(nested.bytes));
    expect(exports.filter((e) => e.name === DEPTH_EXPORT)).toEqual([{ name: DEPTH_EXPORT, kind: 'global' }]);
    const text = binaryen.readBinary(nested.bytes);
    expect(text.emitText()).toContain(`(global $wasm-tracemalloc$depth (mut i32) (i32.const 0))`);
    text.dispose();

    const flat = instrument(allocatorModule(false), { source: 'flat.wasm', maxFrames: 1 });
    expect(flat.nestingGuard).toBe(false);
    expect(WebAssembly.Module.exports(new WebAssembly.Module(flat.bytes)).map((e) => e.name)).not.toContain(DEPTH_EXPORT);
  });

  it('is the runtime’s: hidden from the exports, and set back when malloc traps', async () => {
    const { bytes } = instrument(allocatorModule(true), { source: 'nested.wasm', maxFrames: 1 });
    start(1);
    try {
      const { instance } = await instantiateTraced(bytes, {}, { name: 'nested.wasm' });
      expect(Object.keys(instance.exports).sort()).toEqual(['free', 'make', 'malloc', 'memory', 'realloc']);
      const e = instance.exports as unknown as { malloc(n: number): number; make(n: number, size: number): void };
      expect(() => e.malloc(0x7ead)).toThrow(WebAssembly.RuntimeError);
      e.make(7, 24);
      const [stat, ...rest] = takeSnapshot().statistics('filename');
      expect(rest).toEqual([]);
      expect([stat!.count, stat!.size]).toEqual([7, 7 * 24]);
    } finally {
      stop();
    }
  });
});
