import { describe, expect, it, vi, beforeEach } from 'vitest';
import binaryen from 'binaryen';
import { instrument } from './instrument.js';
import { onArrayBuffer, readModule, scanFunction, stripCustomSections } from './binary/module.js';
import { reachingFunctions } from './shadow-stack.js';
import { instantiateTraced, start, stop, takeSnapshot } from '@wasm-tracemalloc/runtime';

/** A module from text: malloc, free, and `work` calling malloc inside the given handler code. */
function module(work: string): Uint8Array<ArrayBuffer> {
  const m = binaryen.parseText(`(module
    (memory (export "memory") 1)
    (tag $e (param i32))
    (func $malloc (export "malloc") (param i32) (result i32) (i32.const 16))
    (func $free (export "free") (param i32))
    (func $inner (param i32) (result i32) (call $malloc (local.get 0)))
    ${work})`);
  m.setFeatures(binaryen.Features.All);
  const bytes = onArrayBuffer(m.emitBinary());
  m.dispose();
  return bytes;
}

describe('shadow stack: catch handlers', () => {
  it('resets sp in legacy catch bodies, also around a try … delegate', () => {
    const bytes = module(`(func $work (export "work") (param i32) (result i32)
      (try (result i32)
        (do (try (result i32) (do (call $inner (local.get 0))) (delegate 0)))
        (catch $e (drop (pop i32)) (i32.const 1))
        (catch_all (i32.const 2))))`);
    const result = instrument(bytes, { source: 'legacy.wasm', maxFrames: 4 });
    expect(result.shadowStack).toMatchObject({ catches: 2 });
    expect(result.warnings).toEqual([]);
    const m = binaryen.readBinary(result.bytes);
    m.setFeatures(binaryen.Features.All);
    expect(m.validate()).toBe(1);
    const work = m.emitText().split('\n (func ').find((f) => f.includes('(delegate'))!;
    m.dispose();
    // Each catch body starts (after its pop) by setting sp back to the entry depth, kept in local 1.
    expect(work).toMatch(/\(local\.set \$1\s+\(global\.get \$\S+\)\s+\)/);
    expect(work.match(/\(catch \$\S+\s+\(drop\s+\(pop i32\)\s+\)\s+\(global\.set \$\S+\s+\(local\.get \$1\)/g)).toHaveLength(1);
    expect(work.match(/\(catch_all\s+\(global\.set \$\S+\s+\(local\.get \$1\)/g)).toHaveLength(1);
  });

  it('names the functions that catch with try_table, which it does not instrument', () => {
    const bytes = module(`(func $work (export "work") (param i32) (result i32)
      (block $h (result i32)
        (try_table (result i32) (catch $e $h) (call $inner (local.get 0)))))`);
    // Node 20 rejects try_table (exnref); Chromium takes it. Stand in for such an engine.
    expect(WebAssembly.validate(bytes)).toBe(false);
    const validate = vi.spyOn(WebAssembly, 'validate').mockReturnValue(true);
    let result: ReturnType<typeof instrument>;
    try {
      result = instrument(bytes, { source: 'exnref.wasm', maxFrames: 4 });
    } finally {
      validate.mockRestore();
    }
    expect(result.shadowStack).toMatchObject({ catches: 0 });
    expect(result.warnings).toEqual([
      'exnref.wasm: work catch exceptions with try_table (the new exception-handling instructions), which the shadow stack does not instrument: after an exception caught there, tracebacks keep frames of the calls it unwound until the catching function returns. Legacy try/catch (clang\'s default) is handled',
    ]);
  });
});

/**
 * Function pointers of two signatures in one table:
 *   alloc_cb (i32) -> i32        calls malloc          (in the table)
 *   noop_cb  (i32, i32) -> none  allocates nothing     (in the table)
 *   sized    (i32) -> i32        calls malloc          (exported, not in the table)
 *   call_alloc (i32) -> i32      call_indirect (i32) -> i32, slot 0
 *   call_noop  (i32) -> none     call_indirect (i32, i32) -> none, slot 1
 * With `shareTable` the table is exported, so JS could put `sized` in it. With
 * `passive`, a passive segment (for table.init) also holds alloc_cb.
 */
function pointerModule(shareTable: boolean, passive = false): Uint8Array {
  const m = new binaryen.Module();
  const { i32, none } = binaryen;
  m.setMemory(1, 1, 'memory');
  m.addGlobal('bump', i32, true, m.i32.const(1024));
  m.addFunction('malloc', i32, i32, [i32], m.block(null, [
    m.local.set(1, m.global.get('bump', i32)),
    m.global.set('bump', m.i32.add(m.global.get('bump', i32), m.local.get(0, i32))),
    m.local.get(1, i32),
  ], i32));
  m.addFunction('free', i32, none, [], m.nop());
  const ii = binaryen.createType([i32, i32]);
  m.addFunction('alloc_cb', i32, i32, [], m.call('malloc', [m.local.get(0, i32)], i32));
  m.addFunction('noop_cb', ii, none, [], m.nop());
  m.addFunction('sized', i32, i32, [], m.call('malloc', [m.local.get(0, i32)], i32));
  m.addFunction('call_alloc', i32, i32, [], m.call_indirect('table', m.i32.const(0), [m.local.get(0, i32)], i32, i32));
  m.addFunction('call_noop', i32, none, [], m.call_indirect('table', m.i32.const(1), [m.local.get(0, i32), m.i32.const(2)], ii, none));
  m.addTable('table', 2, 2);
  m.addActiveElementSegment('table', 'elems', ['alloc_cb', 'noop_cb'], m.i32.const(0));
  if (passive) {
    m.setFeatures(m.getFeatures() | binaryen.Features.BulkMemory | binaryen.Features.ReferenceTypes);
    m.addPassiveElementSegment('later', ['alloc_cb']);
  }
  for (const f of ['malloc', 'free', 'sized', 'call_alloc', 'call_noop']) m.addFunctionExport(f, f);
  if (shareTable) m.addTableExport('table', 'table');
  if (!m.validate()) throw new Error('test module does not validate');
  binaryen.setDebugInfo(true);
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

function reachingNames(bytes: Uint8Array): string[] {
  const info = readModule(bytes);
  const scans = new Map(info.functions.filter((f) => f.body).map((f) => [f.index, scanFunction(info, f)] as const));
  const malloc = info.functions.find((f) => f.name === 'malloc')!.index;
  return [...reachingFunctions(info, scans, new Set([malloc]))].map((f) => info.functions[f]!.name!).sort();
}

describe('shadow stack: call graph through function pointers', () => {
  beforeEach(() => {
    stop();
  });

  it('an indirect call reaches only the function pointers of its own signature', () => {
    expect(reachingNames(pointerModule(false))).toEqual(['alloc_cb', 'call_alloc', 'sized']);
  });

  it('a table shared with JS makes every export a possible pointer of its signature', () => {
    const bytes = pointerModule(true);
    const info = readModule(bytes);
    expect([...info.addressTaken!].map((f) => info.functions[f]!.name).sort()).toEqual(['alloc_cb', 'call_alloc', 'call_noop', 'free', 'malloc', 'noop_cb', 'sized']);
    // call_noop's signature (i32, i32) -> none has no allocating candidate either way.
    expect(reachingNames(bytes)).toEqual(['alloc_cb', 'call_alloc', 'sized']);
  });

  it('instruments a module with a passive element segment (binaryen aborts reading its offset)', async () => {
    const result = instrument(pointerModule(false, true), { source: 'pointers.wasm', maxFrames: 8, symbols: 'none' });
    // The active segment's entry gets its trampoline; the passive one keeps alloc_cb itself.
    expect(result.shadowStack).toMatchObject({ tableEntries: 1 });
    expect(WebAssembly.validate(result.bytes)).toBe(true);
    start(8);
    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'pointers.wasm' });
    (instance.exports as Record<string, (...a: number[]) => number>).call_alloc!(40);
    expect([...takeSnapshot().traces[0]!.traceback].map((f) => f.function)).toEqual(['alloc_cb (indirect call)', 'alloc_cb']);
  });

  it('gives call_alloc an "(indirect call)" frame and leaves call_noop and noop_cb untouched', async () => {
    const result = instrument(pointerModule(false), { source: 'pointers.wasm', maxFrames: 8, symbols: 'none' });
    // One table entry (alloc_cb) becomes a trampoline; noop_cb keeps its slot as it was.
    expect(result.shadowStack).toMatchObject({ tableEntries: 1, exports: 2 });
    start(8);
    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'pointers.wasm' });
    const e = instance.exports as Record<string, (...a: number[]) => number>;
    e.call_noop!(7);
    e.call_alloc!(40);
    const traces = takeSnapshot().traces;
    expect(traces.length).toBe(1);
    expect(traces[0]!.size).toBe(40);
    // Oldest first: the entry through the table, then the malloc call inside alloc_cb.
    expect([...traces[0]!.traceback].map((f) => f.function)).toEqual(['alloc_cb (indirect call)', 'alloc_cb']);
  });

  it('names an unnamed function pointer wasm-function[N], not by binaryen\'s bare index', async () => {
    const stripped = stripCustomSections(pointerModule(false), (n) => n === 'name').bytes;
    const alloc_cb = 2;
    expect(readModule(stripped).functions[alloc_cb]!.name).toBeUndefined();
    const result = instrument(stripped, { source: 'stripped.wasm', maxFrames: 8, symbols: 'none' });
    expect(result.sites.filter((s) => s.kind === 'indirect').map((s) => s.allocator)).toEqual(['malloc', 'free', `wasm-function[${alloc_cb}]`]);
    start(8);
    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'stripped.wasm' });
    (instance.exports as Record<string, (n: number) => number>).call_alloc!(40);
    const [trace] = takeSnapshot().traces;
    expect([...trace!.traceback].map(String)).toEqual([
      `stripped.wasm:wasm-function[${alloc_cb}] (indirect call)+0x${readModule(stripped).functions[alloc_cb]!.body!.code.toString(16)}`,
      `stripped.wasm:wasm-function[${alloc_cb}]+0x${result.sites.find((s) => s.kind === 'call' && s.func === alloc_cb)!.offset.toString(16)}`,
    ]);
  });
});
