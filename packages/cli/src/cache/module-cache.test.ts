import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instrumentCacheKey } from '@wasm-tracemalloc/instrument/cache-key';
import { siteTableOf } from '@wasm-tracemalloc/runtime';
import { cacheDir, ModuleCache } from './module-cache.js';

const bytes = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

describe('cacheDir', () => {
  it('is $WASM_TRACEMALLOC_CACHE_DIR, else under $XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheDir({ WASM_TRACEMALLOC_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(cacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/wasm-tracemalloc');
    expect(cacheDir({})).toMatch(/\/\.cache\/wasm-tracemalloc$/);
  });
});

describe('ModuleCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-module-cache-'));
  const cache = new ModuleCache(join(dir, 'cache'));
  const inputs = { options: { maxFrames: 1 }, path: '/app/a.wasm', glue: [] };

  it('keys by bytes, options, path, glue and the --symbols-from file', () => {
    const key = cache.keyOf(bytes, inputs);
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    // The Vite plugin's key function, over the options and the path.
    expect(key).toBe(instrumentCacheKey(bytes, { settings: [inputs.options, inputs.path], glue: [] }));
    expect(cache.keyOf(bytes, inputs)).toBe(key);
    expect(cache.keyOf(new Uint8Array([...bytes, 0]), inputs)).not.toBe(key);
    expect(cache.keyOf(bytes, { ...inputs, options: { maxFrames: 128 } })).not.toBe(key);
    expect(cache.keyOf(bytes, { ...inputs, path: '/other/a.wasm' })).not.toBe(key);
    expect(cache.keyOf(bytes, { ...inputs, glue: [{ name: 'a.js', text: 'Module["_malloc"] = wasmExports["malloc"];' }] })).not.toBe(key);
    expect(cache.keyOf(bytes, { ...inputs, symbolsFrom: new Uint8Array([1]) })).not.toBe(key);
  });

  it('misses once a file the pass read changes, appears or goes', () => {
    const source = join(dir, 'leak.c');
    const absent = join(dir, 'leak.wasm.map');
    writeFileSync(source, 'int main() {}\n');
    const key = cache.keyOf(bytes, inputs);
    expect(cache.put(key, { bytes, summary: null, warnings: ['a.wasm: no allocator found'] }, [source, absent])).toBeUndefined();
    expect(cache.get(key, bytes)).toEqual({ bytes, summary: null, warnings: ['a.wasm: no allocator found'] });
    writeFileSync(absent, '{}');
    expect(cache.get(key, bytes)).toBeUndefined();
    rmSync(absent);
    expect(cache.get(key, bytes)).toBeDefined();
    writeFileSync(source, 'int main() { return 1; }\n');
    expect(cache.get(key, bytes)).toBeUndefined();
  });

  it('misses an instrumented entry whose module has no readable site table', () => {
    const key = cache.keyOf(bytes, { ...inputs, path: '/damaged.wasm' });
    cache.put(key, { bytes, summary: 'a.wasm: malloc = export malloc', warnings: [] }, []);
    expect(existsSync(join(cache.dir, `${key}.wasm`))).toBe(true);
    expect(cache.get(key, bytes)).toBeUndefined();
    // A site table there, but not one this runtime can decode (damaged, or another version's).
    const name = new TextEncoder().encode('wasm-tracemalloc.sites');
    const garbage = [0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3];
    const damaged = new Uint8Array([...bytes, 0, 1 + name.length + garbage.length, name.length, ...name, ...garbage]);
    expect(() => siteTableOf(damaged)).toThrow();
    const other = cache.keyOf(bytes, { ...inputs, path: '/damaged-table.wasm' });
    cache.put(other, { bytes: damaged, summary: 'a.wasm: malloc = export malloc', warnings: [] }, []);
    expect(cache.get(other, bytes)).toBeUndefined();
  });

  it('clear removes its own files only', () => {
    writeFileSync(join(cache.dir, 'notes.txt'), 'mine');
    writeFileSync(join(cache.dir, 'package.json'), '{}');
    const before = readdirSync(cache.dir).length;
    const { files } = cache.clear();
    expect(files).toBe(before - 2);
    expect(readdirSync(cache.dir).sort()).toEqual(['notes.txt', 'package.json']);
  });

  it('says why it cannot write, and never throws', () => {
    const blocked = new ModuleCache(join(dir, 'notes-file'));
    writeFileSync(join(dir, 'notes-file'), 'a file where the directory should be');
    expect(blocked.put('0'.repeat(40), { bytes, summary: null, warnings: [] }, [])).toMatch(/^could not write the instrument cache in .*notes-file \(.*\); every run instruments again$/);
  });
});
