// @silvia-odwyer/photon-node 0.3.4 (Rust, wasm-bindgen, nodejs target, names kept;
// `__wbindgen_malloc`/`__wbindgen_free`/`__wbindgen_realloc` exported; its externref
// shims use reference types): process a generated 160×120 image: blur, sharpen, hue
// rotation, resize and rotate, and encode it as PNG. Every PhotonImage is freed.

import { createRequire } from 'node:module';
import { digest, main } from './_main.mjs';

const require = createRequire(import.meta.url);
const W = 160;
const H = 120;

export async function run(checkpoint) {
  const photon = require('@silvia-odwyer/photon-node');
  checkpoint('loaded');
  const pixels = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      pixels.set([(x * 255) / W, (y * 255) / H, (x * y) & 255, 255], (y * W + x) * 4);
    }
  }
  const image = new photon.PhotonImage(pixels, W, H);
  photon.gaussian_blur(image, 3);
  photon.sharpen(image);
  photon.hue_rotate_hsl(image, 0.25);
  photon.grayscale_shades(image, 16);
  checkpoint('filtered');
  const resized = photon.resize(image, 80, 60, photon.SamplingFilter.Lanczos3);
  const rotated = photon.rotate(resized, 30);
  const png = rotated.get_bytes();
  const raw = image.get_raw_pixels();
  checkpoint('encoded');
  const size = `${rotated.get_width()}x${rotated.get_height()}`;
  for (const i of [rotated, resized, image]) i.free();
  checkpoint('freed');
  return [`photon: ${W}x${H} filtered, resized and rotated to ${size}, ${png.length} B of PNG`, `digest ${digest(raw, png)}`];
}

main(import.meta.url, run);
