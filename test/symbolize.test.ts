// Symbolization on real programs: every SITE line of facts.ts, found again through the
// instrumented module's site table and the traced run's tracebacks. DWARF for the C,
// C++ and Rust builds (inlined frames included), a source map for AssemblyScript.

import { withoutDebugSections } from './deep/toolchain.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { openSync, readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import * as tm from 'wasm-tracemalloc';
import type { SiteRecord, SourceFrame } from 'wasm-tracemalloc';
import { BUILDS, buildPath, functionIn, SITES, sitesOf, srcPath, type BuildFact, type SiteFact } from './fixtures/facts.js';

const devNull = openSync('/dev/null', 'w');
const LIBCXX_NEW = '/usr/include/wasm32-wasi/c++/v1/new';
const files = (wasm: string) => tm.nodeFiles(buildPath(wasm));

/** Where facts.ts's `source` and `lineTable` paths live: our sources by name, library paths as they are. */
const pathOf = (file: string) => (file.startsWith('/') ? file : srcPath(file));
const at = (f: { filename: string; lineno: number }) => `${f.filename}:${f.lineno}`;
const sourceAt = (fact: SiteFact) => `${pathOf(fact.source.file)}:${fact.source.line}`;
const lastAt = (fact: SiteFact) => {
  const l = fact.lineTable ?? fact.source;
  return `${pathOf(l.file)}:${l.line}`;
};

/**
 * The source line that holds a site's live blocks, where it is not the fact's own line:
 * realloc_move's two malloc(16) sites share one fact (leak.c:109), and the block still
 * live is the fence's, leak.c:111 (facts.ts's note on that fact).
 */
const LIVE_AT: Record<string, number> = { 'leak.c:109': 111 };

const dwarfBuilds = BUILDS.filter((b) => b.dwarf && SITES.some((s) => s.builds.includes(b.file)));

describe.each(dwarfBuilds.map((b) => [b.file, b] as const))('%s: every SITE of facts.ts from DWARF', (file, build) => {
  const original = readFileSync(buildPath(file));
  const result = tm.instrument(original, { source: file, maxFrames: 128, ...files(file) });
  const calls = result.sites.filter((s): s is SiteRecord & { frames: SourceFrame[] } => s.kind === 'call' && !!s.frames);
  const frameAt = (f: SourceFrame) => `${f.file}:${f.line}`;

  it('symbolizes the call sites from DWARF and ships no stale debug sections', () => {
    expect(result.symbolized!.dwarf).toBeGreaterThan(0);
    expect(result.droppedSections).toContain('.debug_info');
    const custom = tm.siteTableOf(result.bytes)!;
    expect(custom.sites.filter((s) => s.frames).length).toBe(result.sites.filter((s) => s.frames).length);
    expect(custom.sites.filter((s) => s.kind === 'call' && s.frames).length).toBe(calls.length);
  });

  it.each(sitesOf(file).map((f) => [`${f.function} → ${f.allocator} (${sourceAt(f)})`, f] as const))('%s', (_, fact) => {
    // The allocator call itself: in the fact's function, its last frame is the line table's row.
    const direct = calls.filter((s) => s.name === functionIn(fact, file) && s.allocator === (fact.allocatorIn?.[file] ?? fact.allocator));
    expect(direct.length, 'call instructions of this function to this allocator').toBeGreaterThan(0);
    expect(direct.map((s) => frameAt(s.frames.at(-1)!))).toContain(lastAt(fact));
    // The SITE line is a frame of some site (the call's own, or its caller's when the
    // allocator is called from library code), with the line's text.
    const withLine = calls.flatMap((s) => s.frames).filter((f) => frameAt(f) === sourceAt(fact));
    expect(withLine.length, `a frame at ${sourceAt(fact)}`).toBeGreaterThan(0);
    expect(withLine[0]!.source).toMatch(/SITE /);
    if (!fact.userFunction) {
      // No library function in between: the allocator's own site holds the SITE line.
      expect(direct.some((s) => s.frames.some((f) => frameAt(f) === sourceAt(fact)))).toBe(true);
    }
  });

  it('the traced run shows each live site at its SITE line, with its blocks', async () => {
    tm.stop();
    tm.start(32);
    const { imports, wasi } = importsFor(build);
    const { instance } = await tm.instantiateTraced(result.bytes, imports, { name: file });
    const phases = build.steps?.filter((s) => s.export) ?? [{ label: 'main', export: '_start' }];
    const e = instance.exports as Record<string, (...a: number[]) => number>;
    for (const step of phases) {
      if (step.export === '_initialize') wasi.initialize(instance);
      else if (step.export === '_start') wasi.start(instance);
      else e[step.export]!(...((step.args ?? []) as number[]));
      const traces = tm.takeSnapshot().traces;
      for (const fact of sitesOf(file, step.label).filter((f) => f.count > 0)) {
        const line = `${pathOf(fact.source.file)}:${LIVE_AT[`${fact.source.file}:${fact.source.line}`] ?? fact.source.line}`;
        const mine = traces.filter((t) => t.size === fact.size && t.traceback.frames.some((f) => at(f) === line));
        expect(mine.length, `${file} after ${step.label}: blocks of ${fact.size} B with a frame at ${line}`).toBe(fact.count);
        const last = mine[0]!.traceback.mostRecent;
        if (!LIVE_AT[`${fact.source.file}:${fact.source.line}`]) expect(at(last)).toBe(lastAt(fact));
        expect(mine[0]!.traceback.frames.find((f) => at(f) === line)!.source).toMatch(/SITE /);
      }
    }
  });
});

describe('inlined frames', () => {
  const file = 'objects.reactor.wasm';
  // One frame per site (no shadow stack): a traceback is then exactly one site's inline chain.
  const result = tm.instrument(readFileSync(buildPath(file)), { source: file, maxFrames: 1, ...files(file) });

  it("each vector reserve's operator new is <new>:265 under objects.cpp:69, 71 and 73", () => {
    const reserves = result.sites.filter((s) => s.frames?.at(-1)?.file === LIBCXX_NEW && s.frames.at(-1)!.line === 265 && s.frames.some((f) => f.function === 'std::__2::vector<int, std::__2::allocator<int> >::reserve(unsigned long)'));
    expect(reserves.map((s) => s.frames!.map((f) => `${f.file}:${f.line}`))).toEqual(
      [69, 71, 73].map((line) => [
        `${srcPath('objects.cpp')}:${line}`,
        '/usr/include/wasm32-wasi/c++/v1/vector:1468',
        '/usr/include/wasm32-wasi/c++/v1/__split_buffer:353',
        '/usr/include/wasm32-wasi/c++/v1/__memory/allocate_at_least.h:41',
        '/usr/include/wasm32-wasi/c++/v1/__memory/allocator.h:118',
        `${LIBCXX_NEW}:289`,
        `${LIBCXX_NEW}:265`,
      ]),
    );
    expect(reserves[0]!.frames!.map((f) => f.function)).toEqual([
      'vector_reserve()',
      'std::__2::vector<int, std::__2::allocator<int> >::reserve(unsigned long)',
      'std::__2::__split_buffer<int, std::__2::allocator<int>&>::__split_buffer(unsigned long, unsigned long, std::__2::allocator<int>&)',
      'std::__2::__allocate_at_least[abi:nn190107]<std::__2::allocator<int> >(std::__2::allocator_traits&, unsigned long)',
      'std::__2::allocator<int>::allocate[abi:nn190107](unsigned long)',
      'std::__2::__libcpp_allocate[abi:nn190107](unsigned long, unsigned long)',
      'std::__2::__libcpp_operator_new[abi:nn190107]<unsigned long>(unsigned long)',
    ]);
    expect(reserves[2]!.frames![0]!.source).toBe('numbers.reserve(1000);  // SITE vector_reserve.1000: operator new(4000), frees the 400 B buffer');
    expect(reserves[2]!.frames!.at(-1)!.source).toBe('return __builtin_operator_new(__args...);');
  });

  it('a traceback of one site is its whole inline chain, and lineno groups by the innermost line', async () => {
    tm.stop();
    tm.start(1);
    const { imports, wasi } = importsFor(BUILDS.find((b) => b.file === file)!);
    const { instance } = await tm.instantiateTraced(result.bytes, imports, { name: file });
    wasi.initialize(instance);
    (instance.exports.phase_vector_reserve as () => void)();
    const snapshot = tm.takeSnapshot();
    const [stat] = snapshot.statistics('traceback');
    expect(stat!.traceback.frames.map(at)).toEqual([`${srcPath('objects.cpp')}:73`, '/usr/include/wasm32-wasi/c++/v1/vector:1468', '/usr/include/wasm32-wasi/c++/v1/__split_buffer:353', '/usr/include/wasm32-wasi/c++/v1/__memory/allocate_at_least.h:41', '/usr/include/wasm32-wasi/c++/v1/__memory/allocator.h:118', `${LIBCXX_NEW}:289`, `${LIBCXX_NEW}:265`]);
    expect(stat!.traceback.totalNframe).toBe(7);
    expect(stat!.traceback.format(2)).toEqual([
      `  File "${LIBCXX_NEW}", line 289`,
      '    return __libcpp_operator_new(__size);',
      `  File "${LIBCXX_NEW}", line 265`,
      '    return __builtin_operator_new(__args...);',
    ]);
    expect(snapshot.statistics('lineno').map(String)).toEqual([`${LIBCXX_NEW}:265: size=4000 B, count=1, average=4000 B`]);
    const cumulative = snapshot.statistics('lineno', true).map(String);
    expect(cumulative).toContain(`${srcPath('objects.cpp')}:73: size=4000 B, count=1, average=4000 B`);
  });
});

describe('demangled names', () => {
  it('Rust: legacy-mangled functions and generics read as paths, without hashes', () => {
    const file = 'leak_rs.reactor.wasm';
    const { sites } = tm.instrument(readFileSync(buildPath(file)), { source: file, ...files(file) });
    const boxes = sites.find((s) => s.kind === 'call' && s.frames?.[0]?.function === 'leak_rs::leak_boxes')!;
    expect(boxes.name).toMatch(/^_ZN7leak_rs10leak_boxes17h[0-9a-f]{16}E$/);
    expect(boxes.frames!.map((f) => f.function)).toEqual([
      'leak_rs::leak_boxes',
      'alloc::boxed::Box<T>::new',
      'alloc::alloc::exchange_malloc',
      '<alloc::alloc::Global as core::alloc::Allocator>::allocate',
      'alloc::alloc::Global::alloc_impl',
      'alloc::alloc::alloc',
    ]);
    expect(boxes.frames!.map((f) => `${f.file}:${f.line}`)).toEqual([
      `${srcPath('leak_rs.rs')}:30`,
      '/usr/src/rustc-1.63.0/library/alloc/src/boxed.rs:215',
      '/usr/src/rustc-1.63.0/library/alloc/src/alloc.rs:320',
      '/usr/src/rustc-1.63.0/library/alloc/src/alloc.rs:231',
      '/usr/src/rustc-1.63.0/library/alloc/src/alloc.rs:171',
      '/usr/src/rustc-1.63.0/library/alloc/src/alloc.rs:89',
    ]);
  });

  it('names without debug info are demangled from the name section', () => {
    const file = 'leak_rs.reactor.wasm';
    // DWARF stripped by hand: keep everything but the .debug_* sections.
    const bytes = withoutDebugSections(readFileSync(buildPath(file)));
    const { sites } = tm.instrument(bytes, { source: file });
    const boxes = sites.find((s) => s.kind === 'call' && s.name?.startsWith('_ZN7leak_rs10leak_boxes'))!;
    expect(boxes.frames).toEqual([{ file: '', line: 0, function: 'leak_rs::leak_boxes' }]);
  });
});

describe('source map (AssemblyScript --sourceMap), no DWARF', () => {
  const file = 'leak_as.sourcemap.wasm';
  const env = { env: { abort: () => { throw new Error('AssemblyScript abort'); } } };
  beforeEach(() => {
    tm.stop();
    tm.start(16);
  });

  async function leak(bytes: Uint8Array) {
    const { instance } = await tm.instantiateTraced(bytes, env, { name: file });
    (instance.exports.leakBuffers as (n: number) => number)(1000);
    return tm.takeSnapshot();
  }

  it("takes the module's sourceMappingURL and shows leak_as.ts lines with their text", async () => {
    const result = tm.instrument(readFileSync(buildPath(file)), { source: file, maxFrames: 128, ...files(file) });
    expect(result.symbolized).toMatchObject({ dwarf: 0, sourceMap: 19 });
    expect(result.droppedSections).toEqual(['sourceMappingURL']);
    const snapshot = await leak(result.bytes);
    const buffers = snapshot.statistics('traceback').find((s) => s.count === 1000)!;
    expect(buffers.size).toBe(100_000);
    expect(buffers.traceback.format()).toEqual([
      '  File "leak_as.ts", line 24',
      '    const b = new ArrayBuffer(100); // SITE leakBuffers',
      '  File "~lib/arraybuffer.ts", line 53',
      '    let buffer = changetype<ArrayBuffer>(__new(<usize>length, idof<ArrayBuffer>()));',
    ]);
    const store = snapshot.statistics('traceback').find((s) => s.size === 4096)!;
    expect(store.traceback.frames.map(at)).toEqual(['leak_as.ts:25', '~lib/array.ts:209', '~lib/array.ts:25']);
    expect(snapshot.statistics('lineno').map(String).slice(0, 2)).toEqual([
      '~lib/arraybuffer.ts:53: size=97.7 KiB, count=1000, average=100 B',
      '~lib/array.ts:25: size=4096 B, count=1, average=4096 B',
    ]);
  });

  it('takes an external map given as an option, its sourcesContent giving the lines', async () => {
    const map = readFileSync(buildPath(`${file}.map`), 'utf8');
    const result = tm.instrument(readFileSync(buildPath(file)), { source: file, maxFrames: 128, sourceMap: map });
    const buffers = (await leak(result.bytes)).statistics('traceback').find((s) => s.count === 1000)!;
    expect(buffers.traceback.format(1)).toEqual(['  File "~lib/arraybuffer.ts", line 53', '    let buffer = changetype<ArrayBuffer>(__new(<usize>length, idof<ArrayBuffer>()));']);
  });

  it('without the map, frames are functions and offsets', async () => {
    const result = tm.instrument(readFileSync(buildPath(file)), { source: file, maxFrames: 128 });
    expect(result.symbolized).toMatchObject({ dwarf: 0, sourceMap: 0 });
    const buffers = (await leak(result.bytes)).statistics('traceback').find((s) => s.count === 1000)!;
    expect(buffers.traceback.frames.map((f) => f.function)).toEqual(['leak_as/leakBuffers', '~lib/arraybuffer/ArrayBuffer#constructor']);
  });
});

function importsFor(build: BuildFact): { imports: WebAssembly.Imports; wasi: WASI } {
  const wasi = new WASI({ version: 'preview1', args: [build.file], returnOnExit: true, stdout: devNull });
  return { imports: { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, wasi };
}

