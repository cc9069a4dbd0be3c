import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instrument } from '@wasm-tracemalloc/instrument';
import { installUntracedFallback, setUntracedReason } from './untraced-fallback.js';

const LIB_RS = fileURLToPath(new URL('../../../test/fixtures/build/lib_rs.wasm', import.meta.url));

describe('installUntracedFallback', () => {
  const original = new Uint8Array(readFileSync(LIB_RS));
  const result = instrument(original, { source: 'lib_rs.wasm', maxFrames: 128 });
  const warnings: string[] = [];
  installUntracedFallback((line) => warnings.push(line));

  it('links an instrumented module (shadow stack included) with inert imports: it runs as the original, once warned', async () => {
    expect(result.status).toBe('instrumented');
    const module = new WebAssembly.Module(result.bytes as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.imports(module).filter((i) => i.module === 'wasm-tracemalloc').map((i) => i.name).sort()).toEqual(['alloc', 'domain', 'free', 'nframe', 'put', 'realloc', 'sp']);
    const sync = new WebAssembly.Instance(module, {}).exports as { alloc_blocks(n: number, size: number): number };
    expect(sync.alloc_blocks(3, 100)).toBe(3);
    const instance = await WebAssembly.instantiate(module, {}); // given a Module, an Instance
    expect((instance.exports as typeof sync).alloc_blocks(2, 8)).toBe(2);
    expect(warnings).toEqual(['wasm-tracemalloc: warning: main thread: an instrumented module runs untraced (the tracer is not installed in this thread)']);
    setUntracedReason('the tracer could not be loaded (test)');
    const fromBytes = await WebAssembly.instantiate(result.bytes as Uint8Array<ArrayBuffer>, {});
    expect((fromBytes.instance.exports as typeof sync).alloc_blocks(1, 8)).toBe(1);
    expect(warnings.at(-1)).toBe('wasm-tracemalloc: warning: main thread: an instrumented module runs untraced (the tracer could not be loaded (test))');
  });

  it('leaves modules that do not import the tracer, and imports the tracer supplied, alone', async () => {
    const before = warnings.length;
    const { instance } = await WebAssembly.instantiate(original as Uint8Array<ArrayBuffer>, {});
    expect((instance.exports as { alloc_blocks(n: number, s: number): number }).alloc_blocks(1, 1)).toBe(1);
    const module = new WebAssembly.Module(result.bytes as Uint8Array<ArrayBuffer>);
    // A namespace the caller gives is theirs: a wrong one fails as it would without us.
    expect(() => new WebAssembly.Instance(module, { 'wasm-tracemalloc': {} })).toThrow(WebAssembly.LinkError);
    expect(warnings.length).toBe(before);
  });
});
