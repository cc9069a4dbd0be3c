// Issue 15, defect 1: a module with 600,000 direct calls to an exported malloc made
// binaryen.js overflow its stack copying a 39 MB JSON site table (RangeError, then its
// minified source on stdout). The table is now appended after binaryen and binary.

import { beforeEach, describe, expect, it } from 'vitest';
import { instantiateTraced, getTracerStats, SITE_SECTION, start, stop, takeSnapshot } from '@wasm-tracemalloc/runtime';
import { decodeSiteTable } from '@wasm-tracemalloc/runtime/site-table';
import { instrument } from './instrument.js';
import { uleb as leb } from './binary/writer.js';

const str = (s: string) => [...leb(s.length), ...new TextEncoder().encode(s)];
const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];

/**
 * `funcs` functions of `calls` × `malloc(16)` each (a bump allocator, exported), the
 * first exported as `f0`; built as bytes, since a binaryen-built module of this size is
 * what the test is about.
 */
function manyCalls(funcs: number, calls: number): Uint8Array<ArrayBuffer> {
  const types = [2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0];
  const functions = [...leb(funcs + 1), 0, ...new Array<number>(funcs).fill(1)];
  const memory = [1, 0, 1];
  const globals = [1, 0x7f, 1, 0x41, ...leb(1024), 0x0b];
  const exports = [3, ...str('malloc'), 0, 0, ...str('memory'), 2, 0, ...str('f0'), 0, 1];
  // malloc(size): the old bump pointer, which moves by 16.
  const malloc = [0, 0x23, 0, 0x23, 0, 0x41, 16, 0x6a, 0x24, 0, 0x0b];
  const caller = [0];
  for (let i = 0; i < calls; i++) caller.push(0x41, 16, 0x10, 0, 0x1a); // drop(malloc(16))
  caller.push(0x0b);
  const code: number[] = [...leb(funcs + 1), ...leb(malloc.length), ...malloc];
  const body = [...leb(caller.length), ...caller];
  for (let i = 0; i < funcs; i++) for (const b of body) code.push(b);
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, types), ...section(3, functions), ...section(5, memory), ...section(6, globals), ...section(7, exports), ...section(10, code)]);
}

describe('a module with 600,000 allocator call sites', () => {
  beforeEach(() => {
    stop();
    start(1);
  });

  it('instruments at 1 frame with a site table of 4 bytes a site, and traces each call as its own site', async () => {
    const bytes = manyCalls(600, 1000);
    const result = instrument(bytes, { source: 'calls.wasm', maxFrames: 1, symbols: 'none' });
    expect(result.status).toBe('instrumented');
    expect(result.allocators.map((a) => [a.name, a.callSites])).toEqual([['malloc', 600_000]]);
    expect(result.sites).toHaveLength(600_002); // + host and indirect entry
    const compiled = new WebAssembly.Module(result.bytes);
    const [section] = WebAssembly.Module.customSections(compiled, SITE_SECTION);
    expect(section!.byteLength).toBeLessThan(600_002 * 4 + 64);
    expect(decodeSiteTable(section!).sites[2]).toEqual({ kind: 'call', allocator: 'malloc', func: 1, offset: result.sites[2]!.offset });

    const { instance } = await instantiateTraced(result.bytes, {}, { name: 'calls.wasm' });
    (instance.exports as { f0: () => void }).f0();
    expect(getTracerStats().traces).toBe(1000);
    expect(takeSnapshot().statistics('lineno')).toHaveLength(1000);
  }, 120_000);
});
