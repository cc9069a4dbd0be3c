// What the benchmark scripts share.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The median (of an even count, the mean of the middle two). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Builds the churn (churn.c, clang-19, -O2 -g) into bench/out/churn.wasm; returns its path. */
export function buildChurn() {
  mkdirSync(`${here}out`, { recursive: true });
  const out = `${here}out/churn.wasm`;
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', `${here}churn.c`, '-o', out], { stdio: 'inherit' });
  return out;
}
