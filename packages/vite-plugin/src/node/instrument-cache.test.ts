import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allocatorSummary, instrument } from '@wasm-tracemalloc/instrument';
import { instrumentCacheKey } from '@wasm-tracemalloc/instrument/cache-key';
import { siteTableOf } from '@wasm-tracemalloc/runtime';
import { InstrumentCache } from './instrument-cache.js';

/** `add(a, b)`, nothing else: no allocator, no name section. */
const NO_ALLOCATOR = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type (i32 i32) → i32
  0x03, 0x02, 0x01, 0x00, // one function
  0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, // export "add"
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, // local.get 0, local.get 1, i32.add
]);

/** Exports `malloc` (i32) → i32 and `free` (i32), with a memory: found by name. */
const WITH_ALLOCATOR = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, // types (i32) → i32, (i32) → ()
  0x03, 0x03, 0x02, 0x00, 0x01,
  0x05, 0x03, 0x01, 0x00, 0x01, // memory 0 1
  0x07, 0x11, 0x02, 0x06, 0x6d, 0x61, 0x6c, 0x6c, 0x6f, 0x63, 0x00, 0x00, 0x04, 0x66, 0x72, 0x65, 0x65, 0x00, 0x01,
  0x0a, 0x09, 0x02, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x02, 0x00, 0x0b,
]);

/** WITH_ALLOCATOR, its exports minified to `a` and `b` as a release build's: only the glue says which is malloc. */
const MINIFIED = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00,
  0x03, 0x03, 0x02, 0x00, 0x01,
  0x05, 0x03, 0x01, 0x00, 0x01,
  0x07, 0x09, 0x02, 0x01, 0x61, 0x00, 0x00, 0x01, 0x62, 0x00, 0x01, // export "a" = func 0, "b" = func 1
  0x0a, 0x09, 0x02, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x02, 0x00, 0x0b,
]);
const GLUE = { name: 'app.js', text: 'var _malloc = wasmExports["a"];\nvar _free = wasmExports["b"];\nfetch("app.wasm");' };

const settings = { alloc: [], maxFrames: 1 };
const dirs: string[] = [];
const cacheDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-cache-'));
  dirs.push(dir);
  return dir;
};

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('InstrumentCache', () => {
  it('keeps why a module is untraced: the same warnings from memory, from disk after a restart, and under another name', async () => {
    const dir = cacheDir();
    const warnings = instrument(NO_ALLOCATOR, { source: 'public/add.wasm', maxFrames: 1 }).warnings;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^public\/add\.wasm: no allocator found, so nothing is traced and the module is unchanged\./);

    const first = new InstrumentCache(dir, settings);
    const fresh = await first.get(NO_ALLOCATOR, 'public/add.wasm');
    expect(fresh).toEqual({ traced: false, bytes: NO_ALLOCATOR, reason: 'no allocator found', warnings, fromCache: false });
    expect(await first.get(NO_ALLOCATOR, 'public/add.wasm')).toEqual({ ...fresh, fromCache: true });
    const key = first.keyOf(NO_ALLOCATOR);
    expect(readdirSync(join(dir, 'wasm-tracemalloc')).sort()).toEqual([`${key}.json`, `${key}.untraced`]);

    // A restarted dev server reads it from disk, and says it again.
    const restarted = new InstrumentCache(dir, settings);
    expect(await restarted.get(NO_ALLOCATOR, 'public/add.wasm')).toEqual({ ...fresh, fromCache: true });
    // The same bytes under another name: the texts name that one.
    const copy = await restarted.get(NO_ALLOCATOR, 'src/copy.wasm');
    expect(copy.warnings).toEqual([`src/copy.wasm${warnings[0]!.slice('public/add.wasm'.length)}`]);
    expect(copy.warnings).toEqual(instrument(NO_ALLOCATOR, { source: 'src/copy.wasm', maxFrames: 1 }).warnings);
  });

  it('keys a module by what its glue says: a module first served without its glue is traced once the glue is known', async () => {
    const dir = cacheDir();
    const cache = new InstrumentCache(dir, settings);
    const untraced = await cache.get(MINIFIED, 'public/app.wasm');
    expect(untraced).toMatchObject({ traced: false, reason: 'no allocator found' });
    const traced = await cache.get(MINIFIED, 'public/app.wasm', undefined, [GLUE]);
    expect(traced).toMatchObject({ traced: true, fromCache: false, summary: 'public/app.wasm: malloc = export a (from the glue app.js), free = export b (from the glue app.js)' });
    expect(await new InstrumentCache(dir, settings).get(MINIFIED, 'public/app.wasm', undefined, [{ ...GLUE }])).toMatchObject({ traced: true, fromCache: true });

    // No glue: the key a module had before glue was part of it.
    const key = cache.keyOf(MINIFIED);
    expect(cache.keyOf(MINIFIED, [])).toBe(key);
    const withGlue = cache.keyOf(MINIFIED, [GLUE]);
    expect(withGlue).not.toBe(key);
    // Only what the finder reads counts: the rest of the text may change (app code edited)…
    expect(cache.keyOf(MINIFIED, [{ ...GLUE, text: `console.log("edited");\n${GLUE.text}\nexport {};` }])).toBe(withGlue);
    // …but not a mapping, nor a name (the summary says it), nor the order (the first file's mapping wins).
    expect(cache.keyOf(MINIFIED, [{ ...GLUE, text: GLUE.text.replace('["b"]', '["c"]') }])).not.toBe(withGlue);
    expect(cache.keyOf(MINIFIED, [{ ...GLUE, name: 'other.js' }])).not.toBe(withGlue);
    const other = { name: 'b.js', text: 'var _malloc = wasmExports["b"];' };
    expect(cache.keyOf(MINIFIED, [GLUE, other])).not.toBe(cache.keyOf(MINIFIED, [other, GLUE]));
  });

  it('keeps what a traced module traces: allocatorSummary, as the CLI prints it', async () => {
    const dir = cacheDir();
    const result = instrument(WITH_ALLOCATOR, { source: 'app.wasm', maxFrames: 1 });
    expect(result.allocators.map((a) => [a.name, a.kind])).toEqual([['malloc', 'alloc'], ['free', 'free']]);
    const summary = allocatorSummary('app.wasm', result.allocators);

    const fresh = await new InstrumentCache(dir, settings).get(WITH_ALLOCATOR, 'app.wasm');
    expect(fresh).toMatchObject({ traced: true, summary, warnings: result.warnings, fromCache: false });
    const cached = await new InstrumentCache(dir, settings).get(WITH_ALLOCATOR, 'app.wasm');
    expect(cached).toMatchObject({ traced: true, summary, warnings: result.warnings, fromCache: true });
    expect(cached.bytes).toEqual(fresh.bytes);
  });

  it('keys with the function the CLI keys with: instrumentCacheKey over its settings and glue', () => {
    const cache = new InstrumentCache(cacheDir(), { ...settings, root: '/app' });
    const key = cache.keyOf(MINIFIED, [GLUE]);
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    // The settings: --alloc rules, frames, root, and the rules for the files read.
    expect(key).toBe(instrumentCacheKey(MINIFIED, { settings: [[], 1, '/app', JSON.stringify(['under', '/app'])], glue: [GLUE] }));
    expect(new InstrumentCache(cacheDir(), { ...settings, maxFrames: 4, root: '/app' }).keyOf(MINIFIED, [GLUE])).not.toBe(key);
  });

  it('misses an entry whose site table cannot be read, and instruments again', async () => {
    const dir = cacheDir();
    const fresh = await new InstrumentCache(dir, settings).get(WITH_ALLOCATOR, 'app.wasm');
    const key = new InstrumentCache(dir, settings).keyOf(WITH_ALLOCATOR);
    const file = join(dir, 'wasm-tracemalloc', `${key}.wasm`);
    expect(siteTableOf(readFileSync(file))).toBeDefined();
    // The module with its site table gone (as a damaged or foreign file would be)…
    writeFileSync(file, WITH_ALLOCATOR);
    const again = await new InstrumentCache(dir, settings).get(WITH_ALLOCATOR, 'app.wasm');
    expect(again).toMatchObject({ traced: true, fromCache: false });
    expect(again.bytes).toEqual(fresh.bytes);
    // …and is written again.
    expect(siteTableOf(readFileSync(file))).toBeDefined();
    expect(await new InstrumentCache(dir, settings).get(WITH_ALLOCATOR, 'app.wasm')).toMatchObject({ traced: true, fromCache: true });
  });
});
