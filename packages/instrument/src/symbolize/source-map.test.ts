import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readModule } from '../binary/module.js';
import { WasmSourceMap, sourceMappingUrl } from './source-map.js';

const build = (file: string) => new URL(`../../../../test/fixtures/build/${file}`, import.meta.url);

/** Base64 VLQ, as source maps encode their mappings. */
function vlq(values: number[]): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (const v of values) {
    let n = v < 0 ? (-v << 1) | 1 : v << 1;
    do {
      let digit = n & 31;
      n >>>= 5;
      if (n) digit |= 32;
      out += chars[digit];
    } while (n);
  }
  return out;
}

/** A map with absolute segments [offset, source, line, column, name?] or [offset] (no location). */
function map(segments: number[][], extra: object = {}) {
  const prev = [0, 0, 0, 0, 0];
  const mappings = segments
    .map((s) => {
      const delta = s.map((v, i) => v - prev[i]!);
      s.forEach((v, i) => (prev[i] = v));
      return vlq(delta);
    })
    .join(',');
  return { version: 3, sources: ['a.c', 'lib/b.h'], names: ['inlined_fn'], mappings, ...extra };
}

describe('source maps for Wasm (columns are module offsets)', () => {
  const m = new WasmSourceMap(map([[0x100, 0, 9, 4], [0x110, 1, 29, 0, 0], [0x120], [0x130, 0, 19, 2]]));

  it('finds the mapping at or below an offset, 1-based lines and columns, with its name', () => {
    expect(m.lookup(0x100)).toEqual({ file: 'a.c', line: 10, column: 5, source: 0 });
    expect(m.lookup(0x10f)).toEqual({ file: 'a.c', line: 10, column: 5, source: 0 });
    expect(m.lookup(0x115)).toEqual({ file: 'lib/b.h', line: 30, column: 1, source: 1, name: 'inlined_fn' });
    expect(m.lookup(0xff)).toBeUndefined();
  });

  it('an unmapped call takes the statement before it, but never one below the function', () => {
    expect(m.lookup(0x125)).toMatchObject({ file: 'lib/b.h', line: 30 });
    expect(m.lookup(0x125, 0x118)).toBeUndefined();
    expect(m.lookup(0x135, 0x130)).toMatchObject({ file: 'a.c', line: 20 });
  });

  it('gives source text from sourcesContent, else reads it (with sourceRoot)', () => {
    const withContent = new WasmSourceMap(map([[1, 0, 0, 0]], { sourcesContent: ['int x;\n', null] }));
    expect(withContent.sourceText(0)).toBe('int x;\n');
    const read: string[] = [];
    const rooted = new WasmSourceMap(map([[1, 0, 0, 0]], { sourceRoot: '/src' }));
    expect(rooted.sourceText(1, (p) => (read.push(p), p === '/src/lib/b.h' ? 'found' : undefined))).toBe('found');
    expect(read).toEqual(['/src/lib/b.h']);
    expect(rooted.sourceText(1)).toBeUndefined();
  });

  it('reads the sourceMappingURL section, and AssemblyScript maps', () => {
    const info = readModule(readFileSync(build('leak_as.sourcemap.wasm')));
    expect(sourceMappingUrl(info)).toBe('./leak_as.sourcemap.wasm.map');
    expect(sourceMappingUrl(readModule(readFileSync(build('leak_cli.wasm'))))).toBeUndefined();
    const as = new WasmSourceMap(readFileSync(build('leak_as.sourcemap.wasm.map'), 'utf8'));
    const leak = info.functions.find((f) => f.name === 'leak_as/leakBuffers')!;
    // The first mapping of leakBuffers' body: `for (let i = 0; …` on leak_as.ts:23.
    const loc = as.lookup(leak.body!.end - 1, leak.body!.code)!;
    expect(loc.file).toBe('leak_as.ts');
    expect(as.sourceText(loc.source)!.split('\n')[22]).toBe('  for (let i = 0; i < n; i++) {');
  });

  it('refuses what is not a version 3 map, naming it', () => {
    expect(() => new WasmSourceMap('{"version":2,"sources":[],"mappings":""}', 'app.wasm.map')).toThrow('app.wasm.map: source map version 2, only version 3 is supported');
    expect(() => new WasmSourceMap('<html>', 'app.wasm.map')).toThrow(/^app\.wasm\.map: not a valid source map/);
  });
});
