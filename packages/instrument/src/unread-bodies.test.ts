// binaryen reads only the functions the pass changes; every other body reaches the
// output through binary/relocate.ts. These tests hold that path to the one where
// binaryen reads all code (`binaryenReadsAllCode`): the same module, the same sites.

import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { getTracerStats, instantiateTraced, start, stop, takeSnapshot } from '@wasm-tracemalloc/runtime';
import { instrument } from './instrument.js';
import { readModule } from './binary/module.js';
import { localNameMaps, readNameSection } from './binary/name-section.js';
import { uleb as leb } from './binary/writer.js';

const str = (s: string) => [...leb(s.length), ...new TextEncoder().encode(s)];
const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const body = (code: number[]) => [...leb(code.length + 1), 0, ...code];

/** `i32.const 7` as a 5-byte LEB: bytes binaryen would write as `41 07`. */
const PADDED_SEVEN = [0x41, 0x87, 0x80, 0x80, 0x80, 0x00];

/**
 * Built as bytes: a bump `malloc`, `free`, `make(n)` calling malloc(16) n times,
 * `pair()` returning 7 from a block of type () -> (i32 i64), and `never(x)` with a
 * call_indirect of type (i32 i32 i32) -> f64: two types that only code uses. With
 * `tableInit`, `init()` runs `table.init` of a passive element segment.
 */
function module(opts: { tableInit?: boolean } = {}): Uint8Array<ArrayBuffer> {
  const types = vec([
    [0x60, 1, 0x7f, 1, 0x7f], // 0 (i32) -> i32
    [0x60, 1, 0x7f, 0], // 1 (i32) -> ()
    [0x60, 0, 2, 0x7f, 0x7e], // 2 () -> (i32 i64): pair's block only
    [0x60, 0, 1, 0x7f], // 3 () -> i32
    [0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7c], // 4 (i32 i32 i32) -> f64: never's call_indirect only
    [0x60, 0, 0], // 5 () -> ()
  ]);
  const funcTypes = [0, 1, 1, 3, 1, ...(opts.tableInit ? [5] : [])];
  const names = ['malloc', 'free', 'make', 'pair', 'never', ...(opts.tableInit ? ['init'] : [])];
  const code = [
    body([0x23, 0, 0x23, 0, 0x20, 0, 0x6a, 0x24, 0, 0x0b]), // malloc: old bump; bump += size
    body([0x0b]), // free
    // make: loop { if (n == 0) return; drop(malloc(16)); n -= 1; br 0 }
    body([0x03, 0x40, 0x20, 0, 0x45, 0x04, 0x40, 0x0f, 0x0b, 0x41, 16, 0x10, 0, 0x1a, 0x20, 0, 0x41, 1, 0x6b, 0x21, 0, 0x0c, 0, 0x0b, 0x0b]),
    body([0x02, 2, ...PADDED_SEVEN, 0x42, 9, 0x0b, 0x1a, 0x0b]), // pair
    body([0x20, 0, 0x04, 0x40, 0x41, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0x11, 4, 0, 0x1a, 0x0b, 0x0b]), // never
    ...(opts.tableInit ? [body([0x41, 0, 0x41, 0, 0x41, 1, 0xfc, 12, 0, 0, 0x0b])] : []),
  ];
  const exports = vec([[...str('memory'), 2, 0], ...names.map((n, i) => [...str(n), 0, ...leb(i)])]);
  const nameMap = vec(names.map((n, i) => [...leb(i), ...str(n)]));
  return new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, types),
    ...section(3, vec(funcTypes.map((t) => [t]))),
    ...section(4, [1, 0x70, 0, 2]),
    ...section(5, [1, 0, 1]),
    ...section(6, [1, 0x7f, 1, 0x41, ...leb(1024), 0x0b]),
    ...section(7, exports),
    ...(opts.tableInit ? section(9, [1, 1, 0, 1, 1]) : []), // passive: elemkind funcref, [free]
    ...section(10, vec(code)),
    ...section(0, [...str('name'), 1, ...leb(nameMap.length), ...nameMap]),
  ]);
}

const contains = (bytes: Uint8Array, part: number[]) => Buffer.from(bytes).includes(Buffer.from(part));

type Exports = { make(n: number): void; pair(): number; never(x: number): void; init?(): void };

describe('binaryen reads only the functions the pass changes', () => {
  beforeEach(() => {
    stop();
    start(1);
  });

  it('keeps every other body as written, with the types only code uses, and it runs traced', async () => {
    const bytes = module();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const result = instrument(bytes, { source: 'unread.wasm', maxFrames: 1 });
    expect(result.status).toBe('instrumented');
    expect(WebAssembly.validate(result.bytes)).toBe(true);
    expect(contains(result.bytes, PADDED_SEVEN)).toBe(true); // pair's body: binaryen never wrote it
    expect(contains(instrument(bytes, { source: 'unread.wasm', maxFrames: 1, binaryenReadsAllCode: true }).bytes, PADDED_SEVEN)).toBe(false);

    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'unread.wasm' });
    const exports = instance.exports as unknown as Exports;
    exports.make(1000);
    expect(exports.pair()).toBe(7);
    exports.never(0);
    const call = result.sites.find((s) => s.kind === 'call')!;
    expect(bytes[call.offset]).toBe(0x10); // the offset of make's `call $malloc` in the input
    const [top] = takeSnapshot().statistics('lineno');
    expect([top!.traceback.toString(), top!.size, top!.count]).toEqual([`unread.wasm:make+0x${call.offset.toString(16)}`, 16_000, 1000]);
    expect(getTracerStats().traces).toBe(1000);
  });

  it('lets binaryen read all code when a body names element segments, which it renumbers', async () => {
    const bytes = module({ tableInit: true });
    expect(WebAssembly.validate(bytes)).toBe(true);
    const result = instrument(bytes, { source: 'init.wasm', maxFrames: 1 });
    expect(result.status).toBe('instrumented');
    expect(contains(result.bytes, PADDED_SEVEN)).toBe(false);
    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'init.wasm' });
    const exports = instance.exports as unknown as Exports;
    exports.init!();
    exports.make(250);
    expect(exports.pair()).toBe(7);
    expect(getTracerStats().traces).toBe(250);
  });

  /** The module as binaryen writes it: its writer drops dead code and adds scratch locals. */
  const asBinaryenWrites = (bytes: Uint8Array, rewrite: boolean): string => {
    const read = (b: Uint8Array) => {
      const m = binaryen.readBinary(b);
      m.setFeatures(binaryen.Features.All & ~binaryen.Features.GC & ~binaryen.Features.Strings & ~(binaryen.Features as unknown as { CompactImports: number }).CompactImports);
      return m;
    };
    binaryen.setDebugInfo(true);
    let mod = read(bytes);
    if (rewrite) {
      const again = mod.emitBinary();
      mod.dispose();
      mod = read(again);
    }
    const text = mod.emitText();
    mod.dispose();
    return text;
  };

  const fixture = (file: string) => new Uint8Array(readFileSync(new URL(`../../../test/fixtures/build/${file}`, import.meta.url)));

  it.each([
    ['leak.wasm', 1], ['leak.wasm', 128],
    ['leak_as.debug.wasm', 1], ['leak_as.debug.wasm', 128],
    ['leak_rs.reactor.wasm', 128],
    ['objects.wasm', 128],
  ])('%s at %i frames: the module and sites binaryen gives when it reads all code', (file, maxFrames) => {
    const bytes = fixture(file);
    const all = instrument(bytes, { source: file, maxFrames, binaryenReadsAllCode: true });
    const some = instrument(bytes, { source: file, maxFrames });
    expect(some.sites).toEqual(all.sites);
    expect(some.warnings).toEqual(all.warnings);
    expect(some.shadowStack).toEqual(all.shadowStack);
    // binaryen's output, written once more by binaryen, is what binaryen writes of the whole.
    expect(asBinaryenWrites(some.bytes, true)).toBe(asBinaryenWrites(all.bytes, false));
    // Local names (AssemblyScript --debug has them) survive for the bodies binaryen did not read.
    const locals = (b: Uint8Array) => {
      const info = readModule(b);
      const s = info.sections.find((x) => x.id === 0 && x.name === 'name')!;
      const sub = readNameSection(b, s.contentStart + 5, s.end).intact.find((x) => x.id === 2);
      return sub ? localNameMaps(sub.content).map((e) => [e.func, [...e.map]]) : [];
    };
    // binaryen's own rewrite adds `scratch` locals to some bodies; the bodies it did not read have none.
    const own = locals(all.bytes).filter(([, map]) => !String.fromCharCode(...(map as number[])).includes('scratch'));
    expect(locals(some.bytes)).toEqual(own);
    if (file.startsWith('leak_as')) expect(own.length).toBeGreaterThan(0); // so that the comparison says something
  });
});
