// Real third-party modules, run through their own unmodified JS glue with the global
// hook installed: sql.js (Emscripten, debug build) and web-tree-sitter (Emscripten
// main module with DWARF and a name section) parsing with tree-sitter-javascript
// (a side module without allocators, which must pass through untouched).

import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as tm from 'wasm-tracemalloc';

const require = createRequire(import.meta.url);

describe('third-party modules through their own glue', () => {
  tm.installNode();
  tm.start(1);

  it('sql.js: inserts show up per allocation site, and closing the database frees them all', async () => {
    const initSqlJs = require('sql.js/dist/sql-wasm-debug.js');
    const SQL = await initSqlJs();
    const domain = tm.getDomains().find((d) => d.name === 'sql-wasm-debug.wasm');
    expect(domain, 'sql.js module traced under its file name').toBeDefined();

    const before = tm.takeSnapshot();
    const db = new SQL.Database();
    db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    const insert = db.prepare('INSERT INTO t (name) VALUES (?)');
    for (let i = 0; i < 1000; i++) insert.run([`row-${i}`]);
    insert.free();
    expect(db.exec('SELECT count(*), max(name) FROM t')[0].values).toEqual([[1000, 'row-999']]);

    const during = tm.takeSnapshot().filterTraces([new tm.DomainFilter(true, domain!.id)]);
    const growth = during.compareTo(before, 'lineno');
    const added = growth.reduce((n, d) => n + d.sizeDiff, 0);
    expect(added).toBeGreaterThan(100 * 1024); // SQLite's page cache and schema
    expect(growth[0]!.traceback.toString()).toMatch(/^sql-wasm-debug\.wasm:wasm-function\[\d+\]\+0x[0-9a-f]+$/);
    expect(tm.getTracedMemory()[0]).toBe(before.meta.current! + added);

    db.close();
    const after = tm.takeSnapshot();
    expect(after.compareTo(before, 'lineno').filter((d) => d.sizeDiff !== 0).map(String)).toEqual([]);
    expect(tm.getTracerStats()).toMatchObject({ untracedFrees: 0, doubleFrees: 0, lostTraces: 0 });
  });

  it('tree-sitter-javascript.wasm, a side module without allocators: unchanged, with a note and no warning', () => {
    const bytes = readFileSync(require.resolve('tree-sitter-javascript/tree-sitter-javascript.wasm'));
    const result = tm.instrument(bytes, { source: 'tree-sitter-javascript.wasm' });
    expect(result.status).toBe('no-allocator');
    expect(result.bytes).toBe(bytes);
    expect(result.warnings).toEqual([]);
    expect(result.note).toMatch(/^tree-sitter-javascript\.wasm: a side module \(it has a "dylink\.0" section\)/);
  });

  it('web-tree-sitter: parsing allocates at named C functions; deleting the tree and parser frees it all', async () => {
    const { Parser, Language } = await import('web-tree-sitter/debug');
    await Parser.init();
    expect(tm.getDomains().some((d) => d.name === 'web-tree-sitter.wasm')).toBe(true);
    const language = await Language.load(readFileSync(require.resolve('tree-sitter-javascript/tree-sitter-javascript.wasm')));
    const before = tm.takeSnapshot();
    const parser = new Parser();
    parser.setLanguage(language);
    const tree = parser.parse('function f(a, b) { return a + b * 2; }\n'.repeat(200))!;
    expect(tree.rootNode.childCount).toBe(200);
    const growth = tm.takeSnapshot().compareTo(before, 'lineno');
    const functions = growth.map((d) => d.traceback.frames.at(-1)!.function);
    expect(functions).toContain('ts_realloc_default');
    expect(functions).toContain('ts_parser_new_wasm');
    // Symbolized from the module's DWARF: tree-sitter's own files and lines (relative to
    // its compilation directory, /src, as the debug info gives them).
    expect(growth.filter((d) => d.sizeDiff > 0).map((d) => String(d.traceback))).toEqual([
      'lib/src/alloc.c:24',
      'lib/src/alloc.c:6',
      'lib/binding_web/lib/tree-sitter.c:198',
      'lib/src/alloc.c:15',
    ]);
    tree.delete();
    parser.delete();
    expect(tm.takeSnapshot().compareTo(before, 'lineno').filter((d) => d.sizeDiff !== 0).map(String)).toEqual([]);
    expect(tm.getTracerStats()).toMatchObject({ untracedFrees: 0, doubleFrees: 0, lostTraces: 0 });
  });

  it("web-tree-sitter: with a shadow stack, its call sites are in tree-sitter's C files", () => {
    const wasm = require.resolve('web-tree-sitter/debug/web-tree-sitter.wasm');
    const result = tm.instrument(readFileSync(wasm), { source: 'web-tree-sitter.wasm', maxFrames: 128, ...tm.nodeFiles(wasm) });
    const calls = result.sites.filter((s) => s.kind === 'call');
    expect(result.symbolized).toEqual({ dwarf: calls.length, sourceMap: 0, names: 0, none: 0 });
    const files = new Set(calls.flatMap((s) => s.frames!.map((f) => f.file)));
    for (const f of ['lib/src/parser.c', 'lib/src/subtree.c', 'lib/src/stack.c', 'lib/src/lexer.c', 'lib/src/query.c', 'lib/src/tree_cursor.c', 'lib/src/alloc.c']) expect(files).toContain(f);
    const malloc = calls.find((s) => s.name === 'ts_malloc_default' && s.allocator === 'dlmalloc')!;
    expect(malloc.frames).toEqual([{ file: 'lib/src/alloc.c', line: 6, column: 18, function: 'ts_malloc_default' }]);
  });
});
