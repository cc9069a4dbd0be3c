import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GLUE_LIMITS, GlueIndex, noteBundledDir, wasmNamesIn } from './glue-index.js';

// What the glue finder reads, in the shapes the toolchains write it.
const BINDGEN = `function passStringToWasm0(arg, malloc, realloc) { /* … */ }
export function parseSync(source_text) {
  const ptr0 = passStringToWasm0(source_text, wasm.__wbindgen_export_1, wasm.__wbindgen_export_2);
  wasm.__wbindgen_export_3(r0, r1 * 1, 1);
}
async function __wbg_init(module_or_path) {
  if (typeof module_or_path === 'undefined') module_or_path = new URL('pkg_bg.wasm', import.meta.url);
}`;
const EMSCRIPTEN = `var wasmBinaryFile = locateFile("sql-wasm.wasm");
var _malloc = Module["_malloc"] = wasmExports["M"];
var _free = Module["_free"] = wasmExports["N"];`;
/** Emscripten glue that names no file: the app passes the module's URL in. */
const NAMELESS = 'var _malloc = wasmExports["D"], _free = wasmExports["E"];';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('wasmNamesIn', () => {
  it('reads the file name at the end of each path or URL that names a .wasm', () => {
    expect(wasmNamesIn(BINDGEN)).toEqual(['pkg_bg.wasm']);
    expect(wasmNamesIn(`import u from './dist/sql-wasm.wasm?url'; fetch("/a/b/x-1.0.wasm"); fetch(\`\${base}/@scope+pkg~2.wasm\`)`)).toEqual(['sql-wasm.wasm', 'x-1.0.wasm', '@scope+pkg~2.wasm']);
    // Not a file: a bare extension, a type file, a package name.
    expect(wasmNamesIn(`f.endsWith('.wasm'); import type {} from './x_bg.wasm.d.ts'; import '@oxc-parser/wasm'`)).toEqual([]);
    expect(wasmNamesIn(Array.from({ length: 40 }, (_, i) => `"m${i}.wasm"`).join(','))).toHaveLength(GLUE_LIMITS.namesPerModule);
  });
});

describe('GlueIndex: the served modules that are the glue of a .wasm', () => {
  it('keeps the modules whose code the glue finder reads a mapping from, under each .wasm they name', () => {
    const index = new GlueIndex();
    expect(index.note('/app/node_modules/pkg/pkg.js', BINDGEN)).toBe(true);
    expect(index.note('/app/node_modules/sql.js/dist/sql-wasm.js?v=12ab', EMSCRIPTEN)).toBe(true);
    // App code that only fetches a module, or calls its malloc: nothing for the finder.
    expect(index.note('/app/main.js', `await init({ module_or_path: '/pkg_bg.wasm' }); const p = Module._malloc(8);`)).toBe(false);
    // Not a script, whatever it holds.
    expect(index.note('/app/notes.md', BINDGEN)).toBe(false);
    expect(index.note('/app/style.css?direct', EMSCRIPTEN)).toBe(false);
    expect(index.size).toBe(2);

    // By the file's name, wherever it is served from (public/, a copy in dist/).
    expect(index.glueFor('/app/public/pkg_bg.wasm')).toEqual([{ name: 'pkg.js', text: BINDGEN }]);
    expect(index.glueFor('sql-wasm.wasm')).toEqual([{ name: 'sql-wasm.js', text: EMSCRIPTEN }]);
    expect(index.glueFor('other.wasm')).toEqual([]);

    // Glue that names no .wasm goes to any .wasm that no kept module names.
    expect(index.note('/app/src/inline-glue.js', NAMELESS)).toBe(true);
    expect(index.glueFor('other.wasm')).toEqual([{ name: 'inline-glue.js', text: NAMELESS }]);
    expect(index.glueFor('pkg_bg.wasm')).toEqual([{ name: 'pkg.js', text: BINDGEN }]);
  });

  it('follows edits: a module noted again is read again, and dropped when it is no longer glue', () => {
    const index = new GlueIndex();
    index.note('/app/src/glue.js?t=1', BINDGEN);
    expect(index.glueFor('pkg_bg.wasm').map((g) => g.name)).toEqual(['glue.js']);
    const renamed = BINDGEN.replace('pkg_bg.wasm', 'renamed.wasm');
    index.note('/app/src/glue.js?t=2', renamed);
    expect(index.size).toBe(1);
    expect(index.glueFor('pkg_bg.wasm')).toEqual([]);
    expect(index.glueFor('renamed.wasm')).toEqual([{ name: 'glue.js', text: renamed }]);
    expect(index.note('/app/src/glue.js', 'export {}')).toBe(false);
    expect(index.size).toBe(0);
  });

  it('is bounded: modules over maxText are not read, at most perWasm per .wasm (by path), maxModules and maxTotal (the oldest goes)', () => {
    const limits = { ...GLUE_LIMITS, maxText: 1000, maxModules: 5, maxTotal: 4 * BINDGEN.length + 10, perWasm: 3 };
    const index = new GlueIndex(limits);
    expect(index.note('/big.js', BINDGEN + ' '.repeat(1000))).toBe(false);
    for (const n of ['e', 'd', 'c', 'b', 'a']) expect(index.note(`/${n}.js`, BINDGEN)).toBe(true);
    // 5 fit maxModules, but only 4 fit maxTotal: e.js, the oldest, went.
    expect(index.size).toBe(4);
    // Three per .wasm, by path whatever order they came in: a stable key for the instrument cache.
    expect(index.glueFor('pkg_bg.wasm').map((g) => g.name)).toEqual(['a.js', 'b.js', 'c.js']);
    // Noted again, d.js is the newest: the next one in pushes c.js out.
    index.note('/d.js', BINDGEN);
    index.note('/f.js', BINDGEN);
    expect(index.glueFor('pkg_bg.wasm').map((g) => g.name)).toEqual(['a.js', 'b.js', 'd.js']);
    expect(index.size).toBe(4);
  });

  it("names a pre-bundled dep's glue after its source file, from the bundler's notes", () => {
    const bundle = `// node_modules/.pnpm/dep@1/node_modules/dep/util.js
var util = 1;
// node_modules/.pnpm/@oxc-parser+wasm@0.60.0/node_modules/@oxc-parser/wasm/web/oxc_parser_wasm.js
var wasm;
${BINDGEN}
// node_modules/dep/after.js
var after = 2;`;
    const deps = '/app/node_modules/.vite/deps/';
    const index = new GlueIndex(undefined, (path) => path.startsWith(deps));
    index.note(`${deps}@oxc-parser_wasm_web_oxc___parser___wasm__js.js?v=aeae56cb`, bundle);
    index.note('/app/src/copied.js', bundle);
    expect(index.glueFor('pkg_bg.wasm').map((g) => g.name)).toEqual(['oxc_parser_wasm.js', 'copied.js']);
  });

  it("reads a pre-bundled deps folder (what a browser keeps from an earlier run never reaches transform)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtm-deps-'));
    dirs.push(dir);
    writeFileSync(join(dir, '_metadata.json'), '{}');
    writeFileSync(join(dir, 'pkg.js'), BINDGEN);
    writeFileSync(join(dir, 'chunk-ABC.js'), 'export const x = "a.wasm";');
    writeFileSync(join(dir, 'huge.js'), EMSCRIPTEN + ' '.repeat(2000));
    const index = new GlueIndex({ ...GLUE_LIMITS, maxText: 1000 });
    noteBundledDir(index, dir);
    noteBundledDir(index, join(dir, 'missing'));
    expect(index.size).toBe(1);
    expect(index.glueFor('pkg_bg.wasm')).toEqual([{ name: 'pkg.js', text: BINDGEN }]);
    expect(index.glueFor('sql-wasm.wasm')).toEqual([]);
  });
});
