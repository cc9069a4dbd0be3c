import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glueBeside, glueForModule, scriptsOnStack } from './glue-files.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wtm-glue-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('finding the JS glue of a module on disk', () => {
  it('takes the scripts beside the module that name its file, same stem first', () => {
    const dir = folder({
      'sql-wasm.wasm': '',
      'sql-wasm.js': 'locateFile("sql-wasm.wasm")',
      'worker.sql-wasm.js': 'importScripts("sql-wasm.js"); "sql-wasm.wasm"',
      'sql-asm.js': 'asm.js build, no wasm',
      'notes.txt': 'sql-wasm.wasm',
    });
    // The same-stem script names it: the others are not even read.
    expect(glueBeside(join(dir, 'sql-wasm.wasm')).map((g) => g.name)).toEqual(['sql-wasm.js']);
    const other = folder({ 'lib.wasm': '', 'index.js': 'new URL("lib.wasm", import.meta.url)', 'util.js': 'nothing' });
    expect(glueBeside(join(other, 'lib.wasm')).map((g) => g.name)).toEqual(['index.js']);
  });

  it("falls back to wasm-bindgen's stem (x.js for x_bg.wasm) when no script names the file", () => {
    const dir = folder({ 'pkg_bg.wasm': '', 'pkg.js': 'import * as wasm from "./pkg_bg"', 'other.js': '' });
    expect(glueBeside(join(dir, 'pkg_bg.wasm')).map((g) => g.name)).toEqual(['pkg.js']);
    expect(glueBeside(join(dir, 'missing-dir', 'x.wasm'))).toEqual([]);
  });

  it('reads the scripts on a V8 stack, innermost first, except the tracer\'s own', () => {
    const dir = folder({ 'glue.cjs': '_malloc=wasmExports["M"]', 'app.mjs': 'main' });
    const stack = [
      'Error',
      '    at prepareModule (/opt/wtm/runtime/dist/link.js:60:12)',
      `    at createWasm (${join(dir, 'glue.cjs')}:1:200)`,
      `    at file://${join(dir, 'app.mjs')}:3:5`,
      '    at node:internal/modules/esm/module_job:325:25',
    ].join('\n');
    expect(scriptsOnStack(stack)).toEqual(['/opt/wtm/runtime/dist/link.js', join(dir, 'glue.cjs'), join(dir, 'app.mjs')]);
    expect(glueForModule(undefined, stack, ['/opt/wtm']).map((g) => [g.name, g.text])).toEqual([['glue.cjs', '_malloc=wasmExports["M"]'], ['app.mjs', 'main']]);
  });
});
