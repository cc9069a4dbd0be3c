import { describe, expect, it, beforeEach } from 'vitest';
import binaryen from 'binaryen';
import { instrument, InstrumentError } from './instrument.js';
import { onArrayBuffer, readModule } from './binary/module.js';
import { instantiateTraced, start, stop, takeSnapshot, getTracedMemory, getTracerStats, getFreeErrors, SITE_SECTION, decodeSiteTable } from '@wasm-tracemalloc/runtime';

/**
 * A module with a bump allocator: `malloc` (defined, or imported from env when
 * importMalloc), `free`, `make(n)` calling malloc(16) n times, `viaTable(n)` calling it
 * through table slot 0, and `sized(n)` calling malloc(n) once. Names come from
 * binaryen's name section; `hostile` gives `make` a name full of markup.
 */
function allocatorModule(opts: { importMalloc?: boolean; hostile?: boolean; noAllocator?: boolean } = {}): Uint8Array<ArrayBuffer> {
  const m = new binaryen.Module();
  const { i32, none } = binaryen;
  m.setMemory(1, 1, 'memory');
  m.addGlobal('bump', i32, true, m.i32.const(1024));
  const mallocName = opts.noAllocator ? 'my_bump' : 'malloc';
  if (opts.importMalloc) {
    m.addFunctionImport(mallocName, 'env', 'malloc', i32, i32);
  } else {
    m.addFunction(mallocName, i32, i32, [i32], m.block(null, [
      m.local.set(1, m.global.get('bump', i32)),
      m.global.set('bump', m.i32.add(m.global.get('bump', i32), m.i32.and(m.i32.add(m.local.get(0, i32), m.i32.const(7)), m.i32.const(-8)))),
      m.local.get(1, i32),
    ], i32));
  }
  const freeName = opts.noAllocator ? 'my_release' : 'free';
  m.addFunction(freeName, i32, none, [], m.nop());
  const loop = (body: number) =>
    m.block(null, [
      m.loop('l', m.block(null, [
        m.if(m.i32.eqz(m.local.get(0, i32)), m.return()),
        body,
        m.local.set(0, m.i32.sub(m.local.get(0, i32), m.i32.const(1))),
        m.br('l'),
      ])),
    ]);
  const makeName = opts.hostile ? '<script>alert("x")</script>\n&amp;' : 'make';
  m.addFunction(makeName, i32, none, [], loop(m.drop(m.call(mallocName, [m.i32.const(16)], i32))));
  m.addFunction('sized', i32, i32, [], m.call(mallocName, [m.local.get(0, i32)], i32));
  m.addFunction('viaTable', i32, none, [], loop(m.drop(m.call_indirect('table', m.i32.const(0), [m.i32.const(24)], i32, i32))));
  m.addTable('table', 1, 1);
  m.addActiveElementSegment('table', 'elems', [mallocName], m.i32.const(0));
  if (!opts.importMalloc) m.addFunctionExport(mallocName, mallocName);
  m.addFunctionExport(freeName, freeName);
  m.addFunctionExport(makeName, 'make');
  m.addFunctionExport('sized', 'sized');
  m.addFunctionExport('viaTable', 'viaTable');
  if (!m.validate()) throw new Error('test module does not validate');
  binaryen.setDebugInfo(true);
  const bytes = onArrayBuffer(m.emitBinary());
  m.dispose();
  return bytes;
}

type Exports = Record<string, (...args: number[]) => number>;

describe('instrument', () => {
  beforeEach(() => {
    stop();
    start(1);
  });

  it('traces direct calls, exports and table entries, each as its own site', async () => {
    const result = instrument(allocatorModule(), { source: 'bump.wasm' });
    expect(result.status).toBe('instrumented');
    expect(result.allocators.map((a) => [a.name, a.kind, a.callSites])).toEqual([['malloc', 'alloc', 2], ['free', 'free', 0]]);
    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'bump.wasm' });
    const e = instance.exports as unknown as Exports;
    e.make!(1000);
    e.viaTable!(10);
    e.malloc!(40);
    expect(getTracedMemory()).toEqual([1000 * 16 + 10 * 24 + 40, 1000 * 16 + 10 * 24 + 40]);
    const stats = takeSnapshot().statistics('lineno').map((s) => [s.traceback.toString().replace(/\+0x[0-9a-f]+$/, ''), s.size, s.count]);
    expect(stats).toEqual([
      ['bump.wasm:make', 16000, 1000],
      ['bump.wasm:malloc (indirect call)', 240, 10],
      ['bump.wasm:malloc (called from JS)', 40, 1],
    ]);
  });

  it('counts a double free and a free of an unknown pointer, with their sites, and keeps running', async () => {
    const { instance, name } = await instantiateTraced(instrument(allocatorModule()).bytes, {}, { name: 'bump.wasm' });
    const e = instance.exports as unknown as Exports;
    const p = e.malloc!(40);
    e.free!(p);
    e.free!(p);
    e.free!(123456);
    expect(getTracerStats()).toMatchObject({ traces: 0, doubleFrees: 1, untracedFrees: 1 });
    const errors = getFreeErrors();
    expect(errors.map((x) => [x.kind, x.address, x.module])).toEqual([['double', p, name], ['untraced', 123456, name]]);
    expect(errors[0]!.site.toString()).toMatch(new RegExp(`^${name}:free \\(called from JS\\)\\+0x[0-9a-f]+$`));
    expect(errors[0]!.allocatedAt?.toString()).toMatch(new RegExp(`^${name}:malloc \\(called from JS\\)\\+0x[0-9a-f]+$`));
    expect(errors[1]!.allocatedAt).toBeNull();
    expect(e.sized!(8)).toBeGreaterThan(0); // the program is unaffected
  });

  it('links calls between allocators past wrappers that would pass them through', async () => {
    // wasi-libc's shape: malloc → dlmalloc, free → dlfree, calloc → malloc; a realloc
    // that moves (malloc, free the old block: Rust's dlmalloc), whose free is its own;
    // plus an allocation that frees inside (a collector sweeping in __new), whose free counts.
    const m = new binaryen.Module();
    const { i32, none } = binaryen;
    m.setMemory(1, 1, 'memory');
    m.addGlobal('bump', i32, true, m.i32.const(1024));
    m.addFunction('dlmalloc', i32, i32, [i32], m.block(null, [
      m.local.set(1, m.global.get('bump', i32)),
      m.global.set('bump', m.i32.add(m.global.get('bump', i32), m.i32.const(64))),
      m.local.get(1, i32),
    ], i32));
    m.addFunction('dlfree', i32, none, [], m.nop());
    m.addFunction('malloc', i32, i32, [], m.call('dlmalloc', [m.local.get(0, i32)], i32));
    m.addFunction('free', i32, none, [], m.call('dlfree', [m.local.get(0, i32)], none));
    m.addFunction('calloc', binaryen.createType([i32, i32]), i32, [], m.call('malloc', [m.i32.mul(m.local.get(0, i32), m.local.get(1, i32))], i32));
    m.addFunction('realloc', binaryen.createType([i32, i32]), i32, [i32], m.block(null, [
      m.local.set(2, m.call('malloc', [m.local.get(1, i32)], i32)),
      m.call('free', [m.local.get(0, i32)], none),
      m.local.get(2, i32),
    ], i32));
    // aligned_alloc(old, size) stands for a collector's allocation: it frees `old`, a
    // block allocated before, then allocates (malloc, with its own call to dlmalloc).
    m.addFunction('aligned_alloc', binaryen.createType([i32, i32]), i32, [], m.block(null, [
      m.call('free', [m.local.get(0, i32)], none),
      m.call('malloc', [m.local.get(1, i32)], i32),
    ], i32));
    for (const f of ['malloc', 'free', 'calloc', 'realloc', 'aligned_alloc']) m.addFunctionExport(f, f);
    binaryen.setDebugInfo(true);
    const bytes = m.emitBinary();
    m.dispose();

    const result = instrument(bytes, { source: 'nested.wasm' });
    const out = binaryen.readBinary(result.bytes);
    const callsIn = (name: string) => [...out.emitText().matchAll(new RegExp(`\\(func \\$${name.replace(/\$/g, '\\$')} [^]*?\n \\)`, 'g'))][0]![0].match(/call \$[^\s)]+/g);
    expect(callsIn('malloc$orig')).toEqual(['call $dlmalloc$orig']);
    expect(callsIn('free$orig')).toEqual(['call $dlfree$orig']);
    expect(callsIn('calloc$orig')).toEqual(['call $malloc$orig']);
    expect(callsIn('realloc$orig')).toEqual(['call $malloc$orig', 'call $free$orig']);
    expect(callsIn('aligned_alloc$orig')).toEqual(['call $free', 'call $malloc$orig']);
    // With every nested call linked, no wrapper can run inside another: no guard.
    expect(result.nestingGuard).toBe(false);
    expect(out.emitText()).not.toMatch(/\(try|global\.set \$wasm-tracemalloc\$depth/);
    out.dispose();

    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'nested.wasm' });
    const e = instance.exports as unknown as Exports;
    const a = e.malloc!(10);
    const b = e.calloc!(3, 4);
    const c = e.aligned_alloc!(a, 20); // its free of `a` counts
    expect(getTracedMemory()[0]).toBe(12 + 20);
    expect(getTracerStats()).toMatchObject({ traces: 2, untracedFrees: 0, doubleFrees: 0 });
    expect(takeSnapshot().traces.map((t) => t.size).sort((x, y) => x - y)).toEqual([12, 20]);
    const d = e.realloc!(b, 40); // one move of `b`: its free of `b` is the move's
    expect(getTracedMemory()[0]).toBe(20 + 40);
    expect(getTracerStats()).toMatchObject({ traces: 2, untracedFrees: 0, doubleFrees: 0 });
    expect(takeSnapshot().traces.map((t) => t.size).sort((x, y) => x - y)).toEqual([20, 40]);
    expect([b, c, d].every((p) => p > 0)).toBe(true);
  });

  it('keeps the nesting guard when an allocator reaches another through a helper, even across a JS exception', async () => {
    // operator new (_Znwj) → helper → malloc: malloc's wrapper runs inside new's, and
    // only new counts. The helper first asks the host, which may throw (out of memory).
    // new turns a size of 0 into 1, as libc++'s does, so it does not merely forward its
    // size to the helper (find/by-forwarding.ts would take the helper for new).
    const m = new binaryen.Module();
    const { i32, none } = binaryen;
    m.setMemory(1, 1, 'memory');
    m.addGlobal('bump', i32, true, m.i32.const(1024));
    m.addFunctionImport('check', 'env', 'check', i32, none);
    m.addFunction('malloc', i32, i32, [i32], m.block(null, [
      m.local.set(1, m.global.get('bump', i32)),
      m.global.set('bump', m.i32.add(m.global.get('bump', i32), m.i32.const(64))),
      m.local.get(1, i32),
    ], i32));
    m.addFunction('helper', i32, i32, [], m.block(null, [m.call('check', [m.local.get(0, i32)], none), m.call('malloc', [m.local.get(0, i32)], i32)], i32));
    m.addFunction('_Znwj', i32, i32, [], m.block(null, [
      m.if(m.i32.eqz(m.local.get(0, i32)), m.local.set(0, m.i32.const(1))),
      m.call('helper', [m.local.get(0, i32)], i32),
    ], i32));
    m.addFunction('free', i32, none, [], m.nop());
    for (const f of ['malloc', '_Znwj', 'free']) m.addFunctionExport(f, f);
    binaryen.setDebugInfo(true);
    const bytes = m.emitBinary();
    m.dispose();

    const result = instrument(bytes, { source: 'new.wasm' });
    expect(result.nestingGuard).toBe(true);
    const env = { check: (n: number) => { if (n === 0xbad) throw new Error('out of memory (thrown by the host)'); } };
    const { instance } = await instantiateTraced(result.bytes, { env }, { name: 'new.wasm' });
    const e = instance.exports as unknown as Exports;
    e._Znwj!(40); // one trace, new's: malloc's inside it would be at helper's call site
    expect(takeSnapshot().traces.map((t) => String(t.traceback))).toEqual(['new.wasm:operator new(unsigned int) (called from JS)+0x80']);
    expect(() => e._Znwj!(0xbad)).toThrow('out of memory');
    // The guard did not stay set: the next allocations are traced.
    e._Znwj!(8);
    e.malloc!(16);
    expect(takeSnapshot().traces.map((t) => t.size).sort((x, y) => x - y)).toEqual([8, 16, 40]);
  });

  it('writes a module that uses reference types (externref, ref.null extern, table.fill) so that engines without GC (Node 20) take it', async () => {
    // wasm-bindgen's __externref_table_alloc, in small: no target_features section, so
    // binaryen reads it as MVP. With GC on it would write `ref.null extern` as
    // `ref.null noextern` (d0 72), which V8 before 11.9 rejects ("Unknown heap type").
    const m = binaryen.parseText(`(module
      (memory (export "memory") 1)
      (table $refs 4 externref)
      (global $bump (mut i32) (i32.const 1024))
      (func $malloc (export "malloc") (param $n i32) (result i32) (local $p i32)
        (local.set $p (global.get $bump))
        (global.set $bump (i32.add (global.get $bump) (local.get $n)))
        (local.get $p))
      (func $free (export "free") (param i32))
      (func (export "keep") (param $x externref) (result i32)
        (table.fill $refs (i32.const 0) (ref.null extern) (i32.const 4))
        (table.set $refs (i32.const 1) (local.get $x))
        (call $malloc (i32.const 32)))
      (func (export "isNull") (param i32) (result i32) (ref.is_null (table.get $refs (local.get 0)))))`);
    m.setFeatures(binaryen.Features.ReferenceTypes | binaryen.Features.BulkMemory);
    const bytes = onArrayBuffer(m.emitBinary());
    m.dispose();
    expect(readModule(bytes).sections.some((s) => s.name === 'target_features')).toBe(false);

    const result = instrument(bytes, { source: 'refs.wasm' });
    expect(result.status).toBe('instrumented');
    expect(() => new WebAssembly.Module(result.bytes)).not.toThrow();
    const code = readModule(result.bytes).codeSection!;
    expect(Buffer.from(result.bytes.subarray(code.contentStart, code.end)).toString('hex')).toContain('d06f4104fc1100'); // ref.null extern; i32.const 4; table.fill 0
    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'refs.wasm' });
    const e = instance.exports as unknown as { keep(x: object): number; isNull(i: number): number };
    expect(e.keep({ a: 1 })).toBe(1024);
    expect([e.isNull(0), e.isNull(1), e.isNull(2)]).toEqual([1, 0, 1]);
    expect(getTracedMemory()).toEqual([32, 32]);
    expect(takeSnapshot().traces.map((t) => [t.size, t.traceback.length])).toEqual([[32, 1]]);
  });

  it('records the byte offset of each call instruction in the original module', () => {
    const original = allocatorModule();
    const result = instrument(original, { source: 'bump.wasm' });
    const info = readModule(original);
    for (const site of result.sites.filter((s) => s.kind === 'call')) {
      expect(original[site.offset]).toBe(0x10); // the `call` opcode
      const body = info.functions[site.func]!.body!;
      expect(site.offset).toBeGreaterThanOrEqual(body.code);
      expect(site.offset).toBeLessThan(body.end);
    }
    const table = decodeSiteTable(new Uint8Array(WebAssembly.Module.customSections(new WebAssembly.Module(result.bytes), SITE_SECTION)[0]!));
    expect(table.sites).toEqual(result.sites);
  });

  it('wraps an imported allocator (a side module importing malloc)', async () => {
    const result = instrument(allocatorModule({ importMalloc: true }), { source: 'side.wasm' });
    expect(result.allocators.find((a) => a.name === 'malloc')).toMatchObject({ imported: true, callSites: 2 });
    let next = 4096;
    const env = { malloc: (n: number) => { const p = next; next += (n + 7) & ~7; return p; } };
    const { instance } = await instantiateTraced(result.bytes, { env }, { name: 'side.wasm' });
    (instance.exports as unknown as Exports).make!(3);
    expect(takeSnapshot().statistics('lineno').map((s) => [s.size, s.count])).toEqual([[48, 3]]);
  });

  it('keeps tracing after a JS exception unwinds out of an allocator', async () => {
    let next = 4096;
    const env = {
      malloc: (n: number) => {
        if (n === 0xbad) throw new Error('out of memory (thrown by the allocator)');
        const p = next;
        next += (n + 7) & ~7;
        return p;
      },
    };
    const { instance } = await instantiateTraced(instrument(allocatorModule({ importMalloc: true })).bytes, { env }, { name: 'side.wasm' });
    const e = instance.exports as unknown as Exports;
    expect(() => e.sized!(0xbad)).toThrow('out of memory');
    e.make!(2);
    expect(takeSnapshot().statistics('lineno').map((s) => [s.size, s.count])).toEqual([[32, 2]]);
  });

  it('behaves like the original: same results from every export', async () => {
    const original = await WebAssembly.instantiate(allocatorModule(), {});
    const traced = await instantiateTraced(instrument(allocatorModule()).bytes, {}, { name: 'bump.wasm' });
    const a = original.instance.exports as unknown as Exports;
    const b = traced.instance.exports as unknown as Exports;
    for (const n of [1, 7, 100, 0]) expect(b.sized!(n)).toBe(a.sized!(n));
    expect(b.malloc!(5)).toBe(a.malloc!(5));
  });

  it('keeps hostile function names as plain data in the site table', () => {
    const result = instrument(allocatorModule({ hostile: true }), { source: 'evil.wasm' });
    const site = result.sites.find((s) => s.kind === 'call' && s.name?.includes('<script>'));
    expect(site?.name).toBe('<script>alert("x")</script>\n&amp;');
  });

  it('passes a module without allocators through unchanged, saying what it looked for', () => {
    const bytes = allocatorModule({ noAllocator: true });
    const result = instrument(bytes, { source: 'plain.wasm' });
    expect(result.status).toBe('no-allocator');
    expect(result.bytes).toBe(bytes);
    expect(result.warnings.join('\n')).toMatch(/plain\.wasm: no allocator found.*malloc.*operator new.*__rust_alloc.*__wbindgen_malloc.*--alloc NAME=KIND/s);
  });

  it('returns bytes on an ArrayBuffer, which WebAssembly.compile takes, also for input on a SharedArrayBuffer', async () => {
    for (const noAllocator of [false, true]) {
      const plain = allocatorModule({ noAllocator });
      const shared = new Uint8Array(new SharedArrayBuffer(plain.length));
      shared.set(plain);
      const result = instrument(shared, { source: 'shared.wasm' });
      expect(result.status).toBe(noAllocator ? 'no-allocator' : 'instrumented');
      expect(result.bytes.buffer).toBeInstanceOf(ArrayBuffer);
      await expect(WebAssembly.compile(result.bytes)).resolves.toBeInstanceOf(WebAssembly.Module);
    }
  });

  it('passes a side module (dylink.0) without allocators through with a note, not a warning; one importing malloc is traced', () => {
    // A custom section: id 0, size, name length, name, (empty) payload.
    const withDylink = (bytes: Uint8Array) => {
      const name = new TextEncoder().encode('dylink.0');
      return new Uint8Array([...bytes, 0, name.length + 1, name.length, ...name]);
    };
    const side = withDylink(allocatorModule({ noAllocator: true }));
    expect(WebAssembly.validate(side)).toBe(true);
    const result = instrument(side, { source: 'lang.wasm' });
    expect(result.status).toBe('no-allocator');
    expect(result.bytes).toBe(side);
    expect(result.warnings).toEqual([]);
    expect(result.note).toMatch(/^lang\.wasm: a side module \(it has a "dylink\.0" section\) that neither imports nor exports an allocator.*--alloc NAME=KIND\.$/);
    const importing = instrument(withDylink(allocatorModule({ importMalloc: true })), { source: 'side.wasm' });
    expect(importing.status).toBe('instrumented');
    expect(importing.allocators.map((a) => [a.name, a.imported])).toContainEqual(['malloc', true]);
  });

  it('takes user-named allocators by name, export name and #index', async () => {
    const bytes = allocatorModule({ noAllocator: true });
    const byName = instrument(bytes, { alloc: ['my_bump=alloc'] });
    expect(byName.allocators.map((a) => [a.name, a.callSites])).toEqual([['my_bump', 2]]);
    const index = readModule(bytes).functions.find((f) => f.name === 'my_bump')!.index;
    expect(instrument(bytes, { alloc: [`#${index}=alloc`] }).allocators[0]!.index).toBe(index);
    // A rule without a module name applies where the name exists; one for this module must name something here.
    const elsewhere = instrument(bytes, { source: 'user.wasm', alloc: ['nosuch=alloc', 'other.wasm:nosuch=free', 'my_bump=alloc'] });
    expect([elsewhere.unmatchedRules, elsewhere.allocators.map((a) => a.name)]).toEqual([['nosuch=alloc'], ['my_bump']]);
    expect(() => instrument(bytes, { source: 'dist/user.wasm', alloc: ['user.wasm:nosuch=alloc'] })).toThrow(/--alloc user\.wasm:nosuch=alloc: no function, import or export is named "nosuch"/);
    expect(instrument(bytes, { source: 'https://example.com/user.wasm?v=2', alloc: ['user.wasm:my_bump=alloc'] }).allocators[0]!.evidence).toEqual({ finder: 'user', detail: '--alloc user.wasm:my_bump=alloc' });
    expect(() => instrument(bytes, { alloc: ['my_bump=explode'] })).toThrow(/KIND one of alloc, calloc, realloc, free, memalign, or the name of a known allocator/);
    expect(instrument(bytes, { alloc: ['my_bump=malloc'] }).allocators.map((a) => [a.name, a.family, a.kind])).toEqual([['my_bump', 'c', 'alloc']]);
    expect(() => instrument(bytes, { alloc: ['my_bump=__rust_dealloc'] })).toThrow(/does not fit/);
    const { instance } = await instantiateTraced(byName.bytes, {}, { name: 'user.wasm' });
    (instance.exports as unknown as Exports).make!(5);
    expect(getTracerStats().traces).toBe(5);
  });

  it('refuses input that is not Wasm, naming the input and the offset', () => {
    const notWasm = new TextEncoder().encode('<!doctype html><html>404</html>');
    expect(() => instrument(notWasm, { source: 'page.html' })).toThrow(InstrumentError);
    expect(() => instrument(notWasm, { source: 'page.html' })).toThrow(/page\.html: not a WebAssembly module: missing the "\\0asm" magic number \(at byte offset 0/);
    expect(() => instrument(new Uint8Array([0, 0x61, 0x73]), { source: 'tiny.wasm' })).toThrow(/tiny\.wasm: file is 3 bytes long/);
  });

  it('refuses modules truncated inside any section, with the offset', () => {
    const bytes = allocatorModule();
    // A cut exactly between two sections leaves a valid, smaller module; cut inside each.
    const cuts = readModule(bytes).sections.map((s) => Math.floor((s.contentStart + s.end) / 2)).filter((c) => c > 8);
    expect(cuts.length).toBeGreaterThan(5);
    for (const cut of cuts) {
      let error: unknown;
      try {
        instrument(bytes.subarray(0, cut), { source: 'cut.wasm' });
      } catch (e) {
        error = e;
      }
      expect(error, `cut at ${cut}`).toBeInstanceOf(InstrumentError);
      expect((error as Error).message).toMatch(/^cut\.wasm: /);
      expect((error as InstrumentError).offset, `cut at ${cut}`).toBeTypeOf('number');
    }
  });

  it('refuses memory64 modules with a clear error rather than wrong pointers', () => {
    const m = new binaryen.Module();
    m.setFeatures(binaryen.Features.All);
    m.setMemory(1, 1, 'memory', [], false, true);
    m.addFunction('malloc', binaryen.i64, binaryen.i64, [], m.local.get(0, binaryen.i64));
    m.addFunctionExport('malloc', 'malloc');
    const bytes = m.emitBinary();
    m.dispose();
    expect(() => instrument(bytes, { source: 'big.wasm' })).toThrow(/big\.wasm: uses memory64 \(64-bit pointers\), which wasm-tracemalloc does not support yet; build for wasm32/);
  });

  it('adds a shadow stack to a module that exports one function under two names', async () => {
    const m = binaryen.readBinary(allocatorModule());
    m.addFunctionExport('sized', 'sized_again');
    const bytes = m.emitBinary();
    m.dispose();
    const result = instrument(bytes, { source: 'twice.wasm', maxFrames: 8 });
    expect(result.shadowStack).toMatchObject({ exports: 3 }); // make, sized (twice), viaTable
    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'twice.wasm' });
    const e = instance.exports as unknown as Exports;
    const a = e.sized!(8);
    expect(e.sized_again!(8) - a).toBe(8);
    expect(getTracerStats().traces).toBe(2);
  });

  it('does not instrument twice', () => {
    const once = instrument(allocatorModule()).bytes;
    const twice = instrument(once, { source: 'once.wasm' });
    expect(twice.status).toBe('already-instrumented');
    expect(twice.bytes).toBe(once);
  });
});
