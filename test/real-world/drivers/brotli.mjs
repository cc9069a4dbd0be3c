// brotli-wasm 3.0.1 (Rust, wasm-bindgen 0.2.80, nodejs target: `__wbindgen_malloc`,
// `__wbindgen_free` and `__wbindgen_realloc` exported by name, but Rust code calls the
// allocator underneath them directly): compress 64 KiB of text at two qualities,
// decompress both, and stream it through CompressStream/DecompressStream.

import { createRequire } from 'node:module';
import { digest, main } from './_main.mjs';
import { text } from './_text.mjs';

const require = createRequire(import.meta.url);

export async function run(checkpoint) {
  const brotli = require('brotli-wasm');
  checkpoint('loaded');
  const input = text(64 * 1024);
  const fast = brotli.compress(input, { quality: 4 });
  const small = brotli.compress(input, { quality: 9 });
  checkpoint('compressed');
  const back = [brotli.decompress(fast), brotli.decompress(small)];
  if (!back.every((b) => Buffer.from(b).equals(Buffer.from(input)))) throw new Error('brotli: round trip differs');
  checkpoint('decompressed');

  // Streaming, 4 KiB at a time.
  const compressor = new brotli.CompressStream(6);
  const chunks = [];
  for (let at = 0; at < input.length; at += 4096) {
    let chunk = input.subarray(at, at + 4096);
    for (;;) {
      const r = compressor.compress(chunk, 8192);
      chunks.push(r.buf);
      chunk = chunk.subarray(r.input_offset);
      const code = r.code;
      r.free();
      if (code === brotli.BrotliStreamResultCode.NeedsMoreInput) break;
    }
  }
  for (;;) {
    const r = compressor.compress(undefined, 8192);
    chunks.push(r.buf);
    const code = r.code;
    r.free();
    if (code === brotli.BrotliStreamResultCode.ResultSuccess) break;
  }
  compressor.free();
  const streamed = Buffer.concat(chunks);
  const decompressor = new brotli.DecompressStream();
  const out = [];
  for (let at = 0; ; ) {
    const r = decompressor.decompress(streamed.subarray(at), 16384);
    out.push(r.buf);
    at += r.input_offset;
    const code = r.code;
    r.free();
    if (code === brotli.BrotliStreamResultCode.ResultSuccess) break;
  }
  decompressor.free();
  if (!Buffer.concat(out).equals(Buffer.from(input))) throw new Error('brotli: streamed round trip differs');
  checkpoint('streamed');

  return [`brotli: ${input.length} B → ${fast.length} B (q4), ${small.length} B (q9), ${streamed.length} B (streamed, q6)`, `digest ${digest(fast, small, streamed)}`];
}

main(import.meta.url, run);
