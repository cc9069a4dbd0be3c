import { describe, expect, it } from 'vitest';
import { entryGuard, hasShadowStack } from './shadow-stack.js';

/**
 * A module with the shadow stack's import, assembled here byte by byte:
 *   (import "wasm-tracemalloc" "sp" (global $sp (mut i32)))
 *   (import "wasm-tracemalloc" "host" (func $host))
 *   (func $deep (export "deep") (param $n i32)            ;; pushes n frames, then traps
 *     (global.set $sp (i32.add (global.get $sp) (local.get $n))) unreachable)
 *   (func $reenter (export "reenter")                     ;; 5 frames deep, calls JS
 *     (global.set $sp (i32.add (global.get $sp) (i32.const 5))) (call $host)
 *     (global.set $sp (i32.sub (global.get $sp) (i32.const 5))))
 *   (table (export "table") 1 funcref) (elem (i32.const 0) $deep)
 */
const ns = [0x10, ...new TextEncoder().encode('wasm-tracemalloc')];
const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
  0x02, 0x30, 0x02, ...ns, 0x02, 0x73, 0x70, 0x03, 0x7f, 0x01, ...ns, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x01,
  0x03, 0x03, 0x02, 0x00, 0x01,
  0x04, 0x04, 0x01, 0x70, 0x00, 0x01,
  0x07, 0x1a, 0x03, 0x04, 0x64, 0x65, 0x65, 0x70, 0x00, 0x01, 0x07, 0x72, 0x65, 0x65, 0x6e, 0x74, 0x65, 0x72, 0x00, 0x02, 0x05, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x01, 0x00,
  0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01,
  0x0a, 0x1f, 0x02,
  0x0a, 0x00, 0x23, 0x00, 0x20, 0x00, 0x6a, 0x24, 0x00, 0x00, 0x0b,
  0x12, 0x00, 0x23, 0x00, 0x41, 0x05, 0x6a, 0x24, 0x00, 0x10, 0x00, 0x23, 0x00, 0x41, 0x05, 0x6b, 0x24, 0x00, 0x0b,
]);
const module = new WebAssembly.Module(bytes);

interface Exports {
  deep(n: number): void;
  reenter(): void;
  table: WebAssembly.Table;
}

function load(host: () => void = () => {}) {
  const sp = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
  const instance = new WebAssembly.Instance(module, { 'wasm-tracemalloc': { sp, host: () => host() } });
  const raw = instance.exports as unknown as Exports;
  const guarded = entryGuard(sp).guardInstance(instance) as unknown as Exports;
  return { sp, raw, guarded, instance };
}

describe('entries from JS into a module with a shadow stack', () => {
  it('knows such a module by its sp import', () => {
    expect(hasShadowStack(module)).toBe(true);
    expect(hasShadowStack(new WebAssembly.Module(bytes.slice(0, 8)))).toBe(false);
  });

  it('a trap leaves sp stale through the bare export, and at 0 through the guarded one', () => {
    const { sp, raw, guarded, instance } = load();
    expect(() => raw.deep(20)).toThrow(WebAssembly.RuntimeError);
    expect(sp.value).toBe(20);
    sp.value = 0;
    expect(() => guarded.deep(20)).toThrow(WebAssembly.RuntimeError);
    expect(sp.value).toBe(0);
    expect(instance.exports).toBe(guarded);
    expect(Object.isFrozen(guarded)).toBe(true);
    expect(guarded.table).toBe(raw.table);
  });

  it('wrappers keep the name and parameter count, and pass the arguments as given', () => {
    const { sp, raw, guarded } = load();
    expect([guarded.deep.name, guarded.deep.length, guarded.reenter.length]).toEqual([raw.deep.name, 1, 0]);
    expect(() => (guarded.deep as (...a: unknown[]) => void)(3, 'ignored', 'extra')).toThrow(WebAssembly.RuntimeError);
    expect(sp.value).toBe(0);
    expect(() => (guarded.deep as (n: unknown) => void)(Symbol('not a number'))).toThrow(TypeError); // as the bare export does
    expect(() => (raw.deep as (n: unknown) => void)(Symbol('not a number'))).toThrow(TypeError);
  });

  it('a trap in an export that JS called from Wasm puts sp back at the depth of that call', () => {
    let inside: number[] = [];
    const { sp, guarded } = load(() => {
      expect(() => guarded.deep(7)).toThrow(WebAssembly.RuntimeError);
      inside.push(sp.value as number);
    });
    guarded.reenter();
    expect(inside).toEqual([5]);
    expect(sp.value).toBe(0);
    inside = [];
    sp.value = 3; // the nested entry reads its depth from sp, whatever it is
    guarded.reenter();
    expect(inside).toEqual([8]);
  });

  it('JS exceptions pass through unchanged, and sp is back at the entry depth', () => {
    const error = new Error('from the host');
    const { sp, guarded } = load(() => {
      throw error;
    });
    expect(() => guarded.reenter()).toThrow(error);
    expect(sp.value).toBe(0);
  });

  it('functions read from its table are guarded, the same wrapper each time, and go back into tables', () => {
    const { sp, raw, guarded } = load();
    const table = guarded.table;
    const deep = table.get(0) as (n: number) => void;
    expect(table.get(0)).toBe(deep);
    expect(() => deep(9)).toThrow(WebAssembly.RuntimeError);
    expect(sp.value).toBe(0);
    table.set(0, deep);
    expect(table.get(0)).toBe(deep);
    expect(table.grow(1, deep)).toBe(1);
    expect(table.get(1)).toBe(deep);
    expect(WebAssembly.Table.prototype.get.call(table, 1)).toBe(WebAssembly.Table.prototype.get.call(table, 0));
    table.set(1, null);
    expect(table.get(1)).toBe(null);
    void raw;
  });
});
