import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { SiteRecord } from '@wasm-tracemalloc/runtime/site-table';
import { readModule, scanFunction } from '../binary/module.js';
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
    expect(report).toEqual({ dwarf: 0, sourceMap: 1, names: 0, none: 0, warnings: [] });
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
