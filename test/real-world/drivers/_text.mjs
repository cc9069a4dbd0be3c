// A fixed, compressible input for the compression drivers: pseudo-random words.

import { random } from './_main.mjs';

export function text(bytes, seed = 1) {
  const words = ['wasm', 'trace', 'malloc', 'free', 'block', 'snapshot', 'domain', 'frame', 'heap', 'page', 'size', 'count'];
  const next = random(seed);
  let s = '';
  while (s.length < bytes) s += words[Math.floor(next() * words.length)] + (next() < 0.1 ? '.\n' : ' ');
  return new TextEncoder().encode(s.slice(0, bytes));
}
