// AssemblyScript's own generated JS glue (`asc --bindings esm`), unmodified, with the
// global hook installed: it compiles with WebAssembly.compile and instantiates with
// WebAssembly.instantiate(module, imports), and its instance must be traced.

import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import asc from 'assemblyscript/asc';
import * as tm from 'wasm-tracemalloc';
import { srcPath } from './fixtures/facts.js';

describe('AssemblyScript glue (asc --bindings esm)', () => {
  it('is traced without changes: 100 ArrayBuffers of 100 B where they were allocated', async () => {
    const out = mkdtempSync(join(tmpdir(), 'wtm-as-'));
    const stderr: string[] = [];
    const { error } = await asc.main(
      [srcPath('leak_as.ts'), '--debug', '--exportRuntime', '--bindings', 'esm', '-o', join(out, 'leak_as.wasm')],
      { stderr: { write: (s: string) => stderr.push(s) } as never, stdout: { write: () => {} } as never },
    );
    expect(error, stderr.join('')).toBeFalsy();

    tm.installNode();
    tm.start(1);
    const glue = await import(pathToFileURL(join(out, 'leak_as.js')).href);
    expect(tm.getDomains().map((d) => d.name)).toContain('leak_as.wasm');
    const before = tm.takeSnapshot();
    expect(glue.leakBuffers(100)).toBe(100);
    const [top] = tm.takeSnapshot().compareTo(before, 'lineno');
    expect(top!.traceback.frames.at(-1)!.function).toBe('~lib/arraybuffer/ArrayBuffer#constructor');
    expect([top!.sizeDiff, top!.countDiff]).toEqual([10000, 100]);
    glue.dropBuffers();
    glue.__collect();
    expect(tm.takeSnapshot().compareTo(before, 'lineno').filter((d) => d.traceback.frames.at(-1)!.function === '~lib/arraybuffer/ArrayBuffer#constructor').map(String)).toEqual([]);
    expect(tm.getTracerStats()).toMatchObject({ untracedFrees: 0, doubleFrees: 0 });
  });
});
