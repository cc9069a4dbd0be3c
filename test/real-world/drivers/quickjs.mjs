// @jitl/quickjs-wasmfile-release-sync 0.32.0 (QuickJS-ng by quickjs-emscripten:
// Emscripten with closure, `c._malloc=b.v`, `c._free=b.M`), driven through the
// variant's own FFI as quickjs-emscripten-core drives it: a runtime, a context, one
// script evaluated, its result read as a string, then everything freed.

import { digest, main } from './_main.mjs';
import variant from '@jitl/quickjs-wasmfile-release-sync';

const SCRIPT = `
const rows = [];
for (let i = 0; i < 2000; i++) rows.push({ id: i, name: 'item-' + i, tags: ['t' + (i % 7), 't' + (i % 11)] });
const byTag = new Map();
for (const r of rows) for (const t of r.tags) byTag.set(t, (byTag.get(t) || 0) + 1);
const sorted = rows.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const json = JSON.stringify(sorted.slice(0, 50));
[...byTag].sort().map(([t, n]) => t + '=' + n).join(',') + '|' + json.length + '|' + JSON.parse(json)[49].name;
`;

/** The workload, shared with quickjs-debug.mjs (the same version's debug-sync variant). */
export async function workload(build, checkpoint) {
  const QuickJSFFI = await build.importFFI();
  const module = await (await build.importModuleLoader())();
  const ffi = new QuickJSFFI(module);
  checkpoint('loaded');

  const rt = ffi.QTS_NewRuntime();
  const ctx = ffi.QTS_NewContext(rt, 0);
  checkpoint('context');
  const length = module.lengthBytesUTF8(SCRIPT);
  const code = module._malloc(length + 1);
  module.stringToUTF8(SCRIPT, code, length + 1);
  const value = ffi.QTS_Eval(ctx, code, length, 'workload.js', 0, 0);
  module._free(code);
  const error = ffi.QTS_ResolveException(ctx, value);
  if (error) throw new Error('quickjs: the script threw');
  const str = ffi.QTS_GetString(ctx, value);
  const result = module.UTF8ToString(str);
  ffi.QTS_FreeCString(ctx, str);
  checkpoint('evaluated');
  ffi.QTS_FreeValuePointer(ctx, value);
  ffi.QTS_FreeContext(ctx);
  ffi.QTS_FreeRuntime(rt);
  checkpoint('freed');
  return [`quickjs: ${result.slice(0, 60)}…`, `digest ${digest(result)}`];
}

export const run = (checkpoint) => workload(variant, checkpoint);
main(import.meta.url, run);
