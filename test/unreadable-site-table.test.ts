// An instrumented module whose site table cannot be read (damaged, or written by
// another version of the pass) runs untraced with one warning, wherever a program
// instantiates it: it must never fail to link where the original would have run.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tm from 'wasm-tracemalloc';
import { buildPath } from './fixtures/facts.js';

type Fn = (...a: number[]) => number;

/** lib_rs.wasm instrumented, with its site table's version byte set to 3 (a future version). */
function withUnreadableTable(): Uint8Array<ArrayBuffer> {
  const { bytes } = tm.instrument(readFileSync(buildPath('lib_rs.wasm')), { source: 'lib_rs.wasm' });
  const out = new Uint8Array(bytes);
  const name = new TextEncoder().encode('wasm-tracemalloc.sites');
  const at = Buffer.from(out).indexOf(Buffer.from(name));
  expect(at).toBeGreaterThan(0);
  expect(out[at + name.length]).toBe(2); // the binary table's version
  out[at + name.length] = 3;
  return out;
}

const WARNING =
  'wasm-tracemalloc: lib_rs.wasm: unsupported "wasm-tracemalloc.sites" section (version 3, this runtime reads 1 and 2); lib_rs.wasm runs untraced: instrument the original module again, with this version of wasm-tracemalloc';

describe('a module whose site table cannot be read', () => {
  afterEach(() => {
    tm.stop();
    vi.restoreAllMocks();
  });

  it('runs untraced through instantiateTraced, with one warning', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    tm.start();
    const { instance, domain } = await tm.instantiateTraced(withUnreadableTable(), {}, { name: 'lib_rs.wasm' });
    const e = instance.exports as unknown as Record<string, Fn>;
    expect(domain).toBe(0);
    expect(e.alloc_blocks!(10, 100)).toBe(10);
    expect(e.free_blocks!()).toBe(10);
    expect(tm.getTracedMemory()).toEqual([0, 0]);
    expect(tm.getTracerStats()).toMatchObject({ traces: 0, untracedFrees: 0 });
    expect(warn.mock.calls).toEqual([[WARNING]]);
  });

  it('runs untraced under install(), through the synchronous constructors too', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const uninstall = tm.install({ nameOf: () => 'lib_rs.wasm' });
    try {
      tm.start();
      const bytes = withUnreadableTable();
      const sync = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
      const { instance } = (await WebAssembly.instantiate(bytes, {})) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
      for (const i of [sync, instance]) {
        const e = i.exports as unknown as Record<string, Fn>;
        expect(e.alloc_blocks!(3, 50)).toBe(3);
        expect(e.free_blocks!()).toBe(3);
      }
      expect(tm.getTracedMemory()).toEqual([0, 0]);
      expect(warn.mock.calls.length).toBe(2);
      for (const [message] of warn.mock.calls) expect(message).toBe(WARNING);
    } finally {
      uninstall();
    }
  });
});
