// rabin-wasm 0.1.5 (AssemblyScript 0.9, `--runtime full`: the ARC runtime; the loader
// allocates with the exported `__alloc(size, id)` and `__retain`/`__release`, and the
// name section is gone): content-defined chunking of 1 MiB of pseudo-random bytes.

import { createRequire } from 'node:module';
import { digest, main, random } from './_main.mjs';

const require = createRequire(import.meta.url);

export async function run(checkpoint) {
  const { create } = require('rabin-wasm');
  // 2^12 B average chunks, between 1 KiB and 16 KiB, 64 B window, the default polynomial.
  const rabin = await create(12, 1024, 16 * 1024, 64);
  checkpoint('loaded');
  const next = random(3);
  const input = new Uint8Array(1024 * 1024);
  for (let i = 0; i < input.length; i++) input[i] = next() * 256;
  const lengths = [];
  for (let at = 0; at < input.length; at += 256 * 1024) lengths.push(...rabin.fingerprint(input.subarray(at, at + 256 * 1024)));
  checkpoint('chunked');
  return [`rabin: ${input.length} B in ${lengths.length} chunks, min ${Math.min(...lengths)} B, max ${Math.max(...lengths)} B`, `digest ${digest(new Int32Array(lengths))}`];
}

main(import.meta.url, run);
