import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import { readModule, scanFunction } from './module.js';
import { redirectCalls, type Redirect } from './redirect-calls.js';

/**
 * `add3(x)` = x + 3 and `twice(x)` calling it twice (`call`), and `tail(x)` calling it
 * with `return_call`; 200 filler functions push add3's callers past index 127, so
 * their stub indices need two LEB bytes.
 */
function module(): Uint8Array {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.TailCall);
  const { i32 } = binaryen;
  m.addFunction('add3', i32, i32, [], m.i32.add(m.local.get(0, i32), m.i32.const(3)));
  for (let i = 0; i < 200; i++) m.addFunction(`filler${i}`, binaryen.none, i32, [], m.i32.const(i));
  m.addFunction('twice', i32, i32, [], m.call('add3', [m.call('add3', [m.local.get(0, i32)], i32)], i32));
  m.addFunction('tail', i32, i32, [], m.return_call('add3', [m.local.get(0, i32)], i32));
  m.addFunctionExport('twice', 'twice');
  m.addFunctionExport('tail', 'tail');
  binaryen.setDebugInfo(true);
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

describe('redirectCalls', () => {
  it('sends each call through a stub given its site, and the program computes the same', async () => {
    const bytes = module();
    const info = readModule(bytes);
    const byName = (n: string) => info.functions.find((f) => f.name === n)!;
    const redirects = new Map<number, Redirect[]>();
    for (const name of ['twice', 'tail']) {
      const f = byName(name);
      const calls = scanFunction(info, f).calls;
      // Sites around LEB boundaries: 63/64 (1→2 bytes signed), 70,000 (3 bytes).
      redirects.set(f.index, calls.map((c, k) => ({ offset: c.offset, stub: 0, site: [63, 64, 70_000][k + (name === 'tail' ? 2 : 0)]! })));
    }
    const out = redirectCalls(info, [{ callee: byName('add3').index }], redirects);
    expect(WebAssembly.validate(out)).toBe(true);

    // The stub is the last function and has add3's params plus the site.
    const after = readModule(out);
    const stub = after.functions.at(-1)!;
    expect(stub.index).toBe(info.functions.length);
    expect(stub.type!.params).toEqual([0x7f, 0x7f]);
    expect(stub.type!.results).toEqual([0x7f]);
    // Each redirected call is now `i32.const site; call stub` (site as signed LEB128).
    const encoded = (name: string) => {
      const f = after.functions[byName(name).index]!;
      return scanFunction(after, f).calls.map((c) => {
        expect(c.callee).toBe(stub.index);
        const end = c.offset;
        let start = end - 1;
        while (out[start - 1]! & 0x80) start--;
        return [...out.subarray(start - 1, end)];
      });
    };
    expect(encoded('twice')).toEqual([[0x41, 0x3f], [0x41, 0xc0, 0x00]]);
    expect(encoded('tail')).toEqual([[0x41, 0xf0, 0xa2, 0x04]]);

    const { instance } = await WebAssembly.instantiate(out);
    const e = instance.exports as Record<string, (x: number) => number>;
    expect(e.twice!(10)).toBe(16);
    expect(e.tail!(10)).toBe(13);
  });

  it('returns a byte-identical module apart from dropped debug sections when nothing is redirected', () => {
    const bytes = module();
    const info = readModule(bytes);
    expect(redirectCalls(info, [], new Map())).toEqual(bytes);
  });
});
