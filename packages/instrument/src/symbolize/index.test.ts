import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { SiteRecord } from '@wasm-tracemalloc/runtime/site-table';
import { appendCustomSection, readModule, scanFunction, stripCustomSections } from '../binary/module.js';
import { symbolize, symbolizeModule } from './index.js';

const build = (file: string) => new URL(`../../../../test/fixtures/build/${file}`, import.meta.url);
const src = (file: string) => new URL(`../../../../test/fixtures/src/${file}`, import.meta.url).pathname;

/** The 'call' site of the first call from `caller` to `callee`, as the pass records it. */
function site(bytes: Uint8Array, caller: string, callee: string, extra: Partial<SiteRecord> = {}): SiteRecord {
  const info = readModule(bytes);
  const f = info.functions.find((x) => x.name === caller)!;
  const target = info.functions.find((x) => x.name === callee)!;
  const call = scanFunction(info, f).calls.find((c) => c.callee === target.index)!;
  return { kind: 'call', allocator: callee, func: f.index, name: f.name, offset: call.offset, ...extra };
}

describe('symbolize: DWARF, then a source map, then names', () => {
  const leakCli = new Uint8Array(readFileSync(build('leak_cli.wasm')));

  it('DWARF: frames with the line text read through readSource', () => {
    const read: string[] = [];
    const [s] = symbolize(leakCli, [site(leakCli, 'leak', 'malloc')], { readSource: (p) => (read.push(p), readFileSync(p, 'utf8')) });
    expect(s!.frames).toEqual([{ file: src('leak_cli.c'), line: 17, column: 17, function: 'leak', source: 'blocks[i] = malloc(BLOCK_SIZE); /* SITE leak */' }]);
    expect(read).toEqual([src('leak_cli.c')]);
    // Without readSource, the same frame without text; files are read once each.
    expect(symbolize(leakCli, [site(leakCli, 'leak', 'malloc')])[0]!.frames![0]!.source).toBeUndefined();
  });

  it('DWARF wins over a given source map; an approximate offset gets names only', () => {
    const map = { version: 3, sources: ['elsewhere.c'], names: [], mappings: 'AAAA' };
    const exact = site(leakCli, 'leak', 'malloc');
    const [a, b] = symbolize(leakCli, [exact, { ...exact, approximate: true }], { sourceMap: map });
    expect(a!.frames![0]!.file).toBe(src('leak_cli.c'));
    expect(b!.frames).toBeUndefined(); // 'leak' is not mangled: nothing to add to the name
  });

  it('a source map when there is no DWARF; a bad one is a warning, not an error', () => {
    const bytes = new Uint8Array(readFileSync(build('leak_as.sourcemap.wasm')));
    const s = site(bytes, 'leak_as/leakBuffers', '~lib/arraybuffer/ArrayBuffer#constructor');
    const mapText = readFileSync(build('leak_as.sourcemap.wasm.map'), 'utf8');
    const urls: string[] = [];
    const { sites, report } = symbolizeModule(readModule(bytes), [s], { readSourceMap: (url) => (urls.push(url), mapText) });
    expect(urls).toEqual(['./leak_as.sourcemap.wasm.map']);
    expect(sites[0]!.frames).toEqual([{ file: 'leak_as.ts', line: 24, column: 15, function: 'leak_as/leakBuffers', source: 'const b = new ArrayBuffer(100); // SITE leakBuffers' }]);
    expect(report).toEqual({ dwarf: 0, sourceMap: 1, names: 0, none: 0, debugFiles: [], warnings: [] });
    const bad = symbolizeModule(readModule(bytes), [s], { readSourceMap: () => '{', source: 'leak_as.wasm' });
    expect(bad.sites[0]!.frames).toBeUndefined();
    expect(bad.report.warnings).toEqual([expect.stringMatching(/^leak_as\.wasm: source map \.\/leak_as\.sourcemap\.wasm\.map: not a valid source map \(.*\); frames without DWARF show functions and offsets only$/)]);
  });

  it('names: demangled when that changes them; host and indirect entries too', () => {
    const sites: SiteRecord[] = [
      { kind: 'call', allocator: '__rust_alloc', func: 3, name: '_ZN6lib_rs11alloc_block17hc9b486e0b8006769E', offset: 0 },
      { kind: 'call', allocator: 'malloc', func: 4, name: 'plain_c', offset: 0 },
      { kind: 'call', allocator: 'malloc', func: 5, offset: 0 },
      { kind: 'indirect', allocator: '_ZN7leak_rs4main17hf35b42fdce8cbe56E', func: -1, offset: 0 },
      { kind: 'host', allocator: 'malloc', func: -1, offset: 0 },
    ];
    const { sites: out, report } = symbolizeModule(readModule(new Uint8Array(readFileSync(build('leak_as.release.stripped.wasm')))), sites);
    expect(out.map((s) => s.frames)).toEqual([
      [{ file: '', line: 0, function: 'lib_rs::alloc_block' }],
      undefined,
      undefined,
      [{ file: '', line: 0, function: 'leak_rs::main (indirect call)' }],
      undefined,
    ]);
    expect(report).toMatchObject({ dwarf: 0, sourceMap: 0, names: 2, none: 1 });
  });
});

/** What Emscripten's -gseparate-dwarf leaves of a module: no DWARF, no names, a pointer to the debug file. */
function separateDwarf(bytes: Uint8Array, url: string): Uint8Array {
  const stripped = stripCustomSections(bytes, (n) => n === 'name' || n.startsWith('.debug_')).bytes;
  const u = new TextEncoder().encode(url);
  return appendCustomSection(stripped, 'external_debug_info', Uint8Array.from([u.length, ...u]));
}

describe('symbolize: a stripped module with its debug file, symbol map or exports', () => {
  const leakCli = new Uint8Array(readFileSync(build('leak_cli.wasm')));
  const stripped = separateDwarf(leakCli, 'leak_cli.debug.wasm');
  // The same call in both: the code section is unchanged, so is its offset within it.
  const named = site(leakCli, 'leak', 'malloc');
  const call: SiteRecord = { ...named, name: undefined, offset: named.offset - readModule(leakCli).codeSection!.contentStart + readModule(stripped).codeSection!.contentStart };
  const line17 = { file: src('leak_cli.c'), line: 17, column: 17, function: 'leak' };

  it('the debug module its external_debug_info names, read beside it: DWARF and names', () => {
    const asked: string[] = [];
    const readDebugFile = (name: string) => (asked.push(name), name === 'leak_cli.debug.wasm' ? leakCli : undefined);
    const { sites, report } = symbolizeModule(readModule(stripped), [call], { readDebugFile, source: 'dist/leak_cli.wasm' });
    expect(sites[0]!.frames).toEqual([line17]);
    expect(report).toEqual({ dwarf: 1, sourceMap: 0, names: 0, none: 0, debugFiles: ['leak_cli.debug.wasm'], warnings: [] });
    // Its name section names every function: no symbol map is looked for.
    expect(asked).toEqual(['leak_cli.debug.wasm']);
  });

  it('symbolsFrom, the debug module given: the same frames; another build is refused', () => {
    const given = symbolizeModule(readModule(stripped), [call], { symbolsFrom: leakCli, symbolsFromName: 'leak_cli.debug.wasm' });
    expect(given.sites[0]!.frames).toEqual([line17]);
    expect(given.report.debugFiles).toEqual(['leak_cli.debug.wasm']);
    const leak = new Uint8Array(readFileSync(build('leak.wasm')));
    const wrong = symbolizeModule(readModule(stripped), [call], { symbolsFrom: leak, symbolsFromName: 'leak.wasm', source: 'leak_cli.wasm' });
    expect(wrong.sites[0]!.frames).toBeUndefined();
    expect(wrong.report.warnings).toEqual([expect.stringMatching(/^leak_cli\.wasm: leak\.wasm does not belong to this module \(its code section is \d+ bytes, the module's \d+\); it comes from another build or module, so it is not used$/)]);
  });

  it('a debug file that is not there: a warning, then the symbol map beside the module', () => {
    const asked: string[] = [];
    const files: Record<string, Uint8Array> = { 'leak_cli.js.symbols': new TextEncoder().encode('6:leak\n8:malloc\n') };
    const { sites, report } = symbolizeModule(readModule(stripped), [call], { readDebugFile: (n) => (asked.push(n), files[n]), source: 'leak_cli.wasm' });
    expect(asked).toEqual(['leak_cli.debug.wasm', 'leak_cli.wasm.symbols', 'leak_cli.js.symbols']);
    expect(sites[0]!.frames).toEqual([{ file: '', line: 0, function: 'leak' }]);
    expect(report).toEqual({
      dwarf: 0,
      sourceMap: 0,
      names: 1,
      none: 0,
      debugFiles: ['leak_cli.js.symbols'],
      warnings: ['leak_cli.wasm: its debug file leak_cli.debug.wasm (the "external_debug_info" section) could not be read; put it beside the module or give it with --symbols-from for source lines'],
    });
  });

  it('a symbol map given as text, demangled; one for a bigger module is refused', () => {
    const { sites } = symbolizeModule(readModule(stripped), [call], { symbolsFrom: '6:_ZN7leak_rs10leak_boxes17h0123456789abcdefE\n' });
    expect(sites[0]!.frames).toEqual([{ file: '', line: 0, function: 'leak_rs::leak_boxes' }]);
    const wrong = symbolizeModule(readModule(stripped), [call], { symbolsFrom: '6:leak\n412:other\n', source: 'leak_cli.wasm' });
    expect(wrong.sites[0]!.frames).toBeUndefined();
    expect(wrong.report.warnings).toEqual(['leak_cli.wasm: the given symbols does not belong to this module (it names function 412, the module has 39); it comes from another build or module, so it is not used']);
  });

  it('export names for what nothing else names; an entry keeps the name it was matched by over an export', () => {
    const reactor = new Uint8Array(readFileSync(build('leak.reactor.wasm')));
    const info = readModule(stripCustomSections(reactor, (n) => n === 'name' || n.startsWith('.debug_')).bytes);
    expect(info.hasNameSection).toBe(false);
    // 16 is phase_leak_nodes, exported as such; 24 is get_live_bytes, exported as live_bytes; 10 is not exported.
    const body = (f: number) => info.functions[f]!.body!.code;
    const sites: SiteRecord[] = [
      { kind: 'call', allocator: 'malloc', func: 16, offset: body(16) + 2 },
      { kind: 'call', allocator: 'malloc', func: 24, offset: body(24) + 2 },
      { kind: 'call', allocator: 'malloc', func: 10, offset: body(10) + 2 },
      { kind: 'indirect', allocator: 'wasm-function[16]', func: -1, offset: body(16) },
      { kind: 'host', allocator: 'malloc', func: -1, offset: body(24) },
    ];
    const { sites: out, report } = symbolizeModule(info, sites);
    expect(out.map((s) => s.frames)).toEqual([
      [{ file: '', line: 0, function: 'phase_leak_nodes' }],
      [{ file: '', line: 0, function: 'live_bytes' }],
      undefined,
      [{ file: '', line: 0, function: 'phase_leak_nodes (indirect call)' }],
      undefined,
    ]);
    expect(report).toMatchObject({ dwarf: 0, sourceMap: 0, names: 2, none: 1, debugFiles: [] });
  });
});
