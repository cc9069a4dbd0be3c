// Shared by the drivers: run the workload and print its lines when the driver is the
// program's main script (`node driver.mjs`, or under `wasm-tracemalloc node`); when the
// API runner imports a driver, it calls run(checkpoint) itself.

import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} url the driver's import.meta.url
 * @param {(checkpoint: (label: string) => void) => Promise<string[]>} run
 */
export function main(url, run) {
  let entry;
  try {
    entry = realpathSync(process.argv[1] ?? '');
  } catch {
    return;
  }
  if (entry !== fileURLToPath(url)) return;
  run(() => {}).then(
    (lines) => {
      for (const line of lines) process.stdout.write(`${line}\n`);
    },
    (e) => {
      process.stderr.write(`${e?.stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}

/** sha256 (hex, first 16 digits) of strings and byte arrays, in order. */
export function digest(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : new Uint8Array(p.buffer ?? p, p.byteOffset ?? 0, p.byteLength ?? p.length));
  return h.digest('hex').slice(0, 16);
}

/** A deterministic pseudo-random generator (mulberry32). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
