// lz4-wasm 0.9.2 (Rust, wasm-bindgen, bundler target: its glue imports the .wasm as an
// ES module, which Node 20 loads with --experimental-wasm-modules; the test runs it with
// that flag in NODE_OPTIONS): compress 256 KiB of text in 64 KiB pieces and whole,
// and decompress everything.

import { digest, main } from './_main.mjs';
import { text } from './_text.mjs';
import { compress, decompress } from 'lz4-wasm/lz4_wasm.js';

export async function run(checkpoint) {
  checkpoint('loaded');
  const input = text(256 * 1024, 2);
  const pieces = [];
  for (let at = 0; at < input.length; at += 64 * 1024) pieces.push(compress(input.subarray(at, at + 64 * 1024)));
  const whole = compress(input);
  checkpoint('compressed');
  const back = decompress(whole);
  const fromPieces = Buffer.concat(pieces.map((p) => decompress(p)));
  if (!Buffer.from(back).equals(Buffer.from(input)) || !fromPieces.equals(Buffer.from(input))) throw new Error('lz4: round trip differs');
  checkpoint('decompressed');
  return [`lz4: ${input.length} B → ${whole.length} B whole, ${pieces.map((p) => p.length).join(' + ')} B in pieces`, `digest ${digest(whole, ...pieces)}`];
}

main(import.meta.url, run);
