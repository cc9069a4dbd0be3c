// @jsquash/jpeg 1.6.0 (Squoosh's MozJPEG, Emscripten 3.1 with embind; malloc exported
// as `D`/`F` and named only by the glue): encode a generated 96×64 image, decode the
// JPEG, encode the decoded pixels again. In Node, @jsquash's documented way is to
// compile the shipped .wasm files and hand them to init().

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { digest, main } from './_main.mjs';
import encode, { init as initEncode } from '@jsquash/jpeg/encode.js';
import decode, { init as initDecode } from '@jsquash/jpeg/decode.js';

const require = createRequire(import.meta.url);
const W = 96;
const H = 64;

export async function run(checkpoint) {
  await initEncode(new WebAssembly.Module(readFileSync(require.resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm'))));
  await initDecode(new WebAssembly.Module(readFileSync(require.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'))));
  checkpoint('loaded');
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 4;
      data[i] = (x * 255) / (W - 1);
      data[i + 1] = (y * 255) / (H - 1);
      data[i + 2] = ((x ^ y) & 15) * 16;
      data[i + 3] = 255;
    }
  }
  const first = new Uint8Array(await encode({ data, width: W, height: H, colorSpace: 'srgb' }, { quality: 75 }));
  checkpoint('encoded');
  const decoded = await decode(first);
  checkpoint('decoded');
  const second = new Uint8Array(await encode(decoded, { quality: 90 }));
  checkpoint('encoded again');
  return [
    `jpeg: ${first.length} B, decoded ${decoded.width}x${decoded.height}, again ${second.length} B`,
    `digest ${digest(first, decoded.data, second)}`,
  ];
}

main(import.meta.url, run);
