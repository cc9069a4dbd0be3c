// wasm-bindgen modules that use reference types (`__externref_table_alloc`: externref
// tables, `ref.null extern`, table.fill) must stay valid in Node 20, whose V8 has no
// GC: instrumenting must not rewrite `ref.null extern` as GC's `ref.null noextern`.
// photon-node's target_features lists 4 features, yet it uses table.fill; oxc-parser's
// exports are anonymous (`__wbindgen_export_N`), named here as its JS glue uses them.

import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import * as tm from 'wasm-tracemalloc';

const require = createRequire(import.meta.url);

describe('wasm-bindgen modules with reference types, in Node 20', () => {
  it('photon-node: instruments into a module Node takes, and traces a 64 × 64 image through its own glue', () => {
    const bytes = readFileSync(require.resolve('@silvia-odwyer/photon-node/photon_rs_bg.wasm'));
    const result = tm.instrument(bytes, { source: 'photon_rs_bg.wasm', maxFrames: 1 });
    expect(result.status).toBe('instrumented');
    expect(result.allocators.map((a) => a.name)).toEqual(expect.arrayContaining(['__wbindgen_malloc', '__wbindgen_realloc', '__wbindgen_free']));
    expect(() => new WebAssembly.Module(result.bytes)).not.toThrow();

    tm.installNode();
    tm.start(1);
    const photon = require('@silvia-odwyer/photon-node');
    const image = new photon.PhotonImage(new Uint8Array(64 * 64 * 4).fill(128), 64, 64);
    // The pixels the glue copies in (__wbindgen_malloc), and the PhotonImage it boxes.
    expect(tm.takeSnapshot().traces.map((t) => [t.size, String(t.traceback).replace(/\+0x[0-9a-f]+$/, '')]).sort()).toEqual([
      [16384, 'photon_rs_bg.wasm:__wbindgen_malloc (called from JS)'],
      [32, 'photon_rs_bg.wasm:photonimage_new'],
    ]);
    photon.grayscale(image);
    image.free();
    expect(tm.getTracedMemory()[0]).toBe(0);
    expect(tm.getTracerStats()).toMatchObject({ traces: 0, untracedFrees: 0, doubleFrees: 0, lostTraces: 0 });
    tm.stop();
  });

  it('oxc-parser: instruments, with its anonymous exports named, into a module Node takes', () => {
    const bytes = readFileSync(require.resolve('@oxc-parser/wasm/node/oxc_parser_wasm_bg.wasm'));
    const alloc = ['__wbindgen_export_1=__wbindgen_malloc', '__wbindgen_export_2=__wbindgen_realloc', '__wbindgen_export_3=__wbindgen_free'];
    const result = tm.instrument(bytes, { source: 'oxc_parser_wasm_bg.wasm', alloc });
    expect(result.status).toBe('instrumented');
    // The exports named here (the allocators under them may be found too).
    expect(Object.fromEntries(result.allocators.filter((a) => a.name.startsWith('__wbindgen_export_')).map((a) => [a.name, a.kind]))).toEqual({
      __wbindgen_export_1: 'alloc',
      __wbindgen_export_2: 'realloc',
      __wbindgen_export_3: 'free',
    });
    expect(() => new WebAssembly.Module(result.bytes)).not.toThrow();
  });
});
