// @oxc-parser/wasm 0.60.0 (Rust, wasm-bindgen 0.2.100, nodejs target: the allocator
// shims are anonymous exports, `passStringToWasm0(s, wasm.__wbindgen_export_1,
// wasm.__wbindgen_export_2)` being malloc and realloc and `__wbindgen_export_3` free):
// parse a fixed TypeScript source, read the AST, comments and errors, free the result.

import { createRequire } from 'node:module';
import { digest, main } from './_main.mjs';

const require = createRequire(import.meta.url);

const SOURCE = Array.from(
  { length: 40 },
  (_, i) => `
// function ${i}
export async function handler${i}<T extends { id: number }>(items: T[], limit = ${i + 1}): Promise<Map<number, T>> {
  const out = new Map<number, T>();
  for (const item of items.slice(0, limit)) {
    if (item.id % ${(i % 5) + 2} === 0) out.set(item.id, { ...item, seen: \`item \${item.id}\` } as T);
  }
  /* block comment ${i} */
  return out;
}
`,
).join('');

export async function run(checkpoint) {
  const { parseSync } = require('@oxc-parser/wasm');
  checkpoint('loaded');
  const result = parseSync(SOURCE, { sourceFilename: 'workload.ts' });
  const json = result.programJson.length;
  const program = result.program;
  const comments = result.comments;
  const errors = result.errors;
  checkpoint('parsed');
  result.free();
  checkpoint('freed');
  const kinds = program.body.map((s) => s.type).join(',');
  return [
    `oxc: ${program.body.length} statements, ${comments.length} comments, ${errors.length} errors, AST as ${json} B of JSON`,
    `digest ${digest(kinds, JSON.stringify(program.body.at(-2)))}`,
  ];
}

main(import.meta.url, run);
