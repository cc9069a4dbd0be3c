// lightningcss-wasm 1.33.0 (Rust + napi-wasm, a 15.8 MB module; napi-wasm allocates
// through the exports `napi_wasm_malloc`/`napi_wasm_free`): transform and minify a
// fixed stylesheet for old browsers, with a source map, and a style attribute.

import { digest, main } from './_main.mjs';
import { transform, transformStyleAttribute } from 'lightningcss-wasm';

const CSS = Array.from(
  { length: 60 },
  (_, i) => `
.card-${i} { display: flex; gap: ${i % 8}px; color: lab(${40 + (i % 50)}% ${i % 30} -20); inset: 0 ${i}px; }
.card-${i}:is(:hover, :focus-visible) > .title { transition: transform .2s ease-in-out; transform: translateX(${i}px); }
@media (width >= ${300 + i * 10}px) { .card-${i} .body { margin-inline: auto; user-select: none; } }
.card-${i} { .nested & { background: color-mix(in srgb, red ${i}%, blue); } }
`,
).join('');

const kept = [];

export async function run(checkpoint) {
  checkpoint('loaded');
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const result = transform({
    filename: 'workload.css',
    code: encoder.encode(CSS),
    minify: true,
    sourceMap: true,
    targets: { chrome: 80 << 16, safari: 13 << 16, firefox: 78 << 16 },
  });
  checkpoint('transformed');
  const attr = transformStyleAttribute({ filename: 'style', code: encoder.encode('color: hwb(120 10% 20%); margin-inline: 2px 4px'), minify: true, targets: { safari: 12 << 16 } });
  checkpoint('style attribute');
  // napi-wasm frees the buffers it returns from a FinalizationRegistry: keep them
  // reachable, so that no free depends on when the GC runs.
  kept.push(result, attr);
  const code = decoder.decode(result.code);
  return [
    `lightningcss: ${CSS.length} B → ${code.length} B, map ${result.map.length} B, ${result.warnings.length} warnings; attribute "${decoder.decode(attr.code)}"`,
    `digest ${digest(code, result.map)}`,
  ];
}

main(import.meta.url, run);
