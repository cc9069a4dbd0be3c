// What the benchmark scripts share: building the churn, and reading a module's names.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export { median } from './stats.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The churn's memory pre-sized so that it never grows: 96 MiB, above the 74.6 MiB its
 * 100,000 live blocks reach. Growing memory makes V8 account the whole buffer as new
 * external memory after each of its ~1000 growths, which starts 60-100 garbage
 * collections inside the timed run; with this size there are none.
 */
export const CHURN_QUIET_MEMORY = 96 * 2 ** 20;

/** What every churn run must leave traced: 100,000 slots plus two blocks of wasi-libc's start-up. */
export const CHURN_FACTS = { liveBlocks: 100_002, liveBytes: 66_807_999, pairs: 1_000_000 };

/**
 * Builds the churn (churn.c, clang-19, -O2 -g) into bench/out/NAME.wasm; returns its
 * path. Compiling and linking are two steps: linking with -O makes clang run any
 * wasm-opt on PATH, which strips the name section, and the instrumenter then finds
 * no malloc and traces nothing. The built module must name malloc and free.
 */
export function buildChurn({ name = 'churn', initialMemoryBytes } = {}) {
  mkdirSync(`${here}out`, { recursive: true });
  const object = `${here}out/${name}.o`;
  const out = `${here}out/${name}.wasm`;
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', '-c', `${here}churn.c`, '-o', object], { stdio: 'inherit' });
  const link = ['--target=wasm32-wasi', object, '-o', out];
  if (initialMemoryBytes) link.push(`-Wl,--initial-memory=${initialMemoryBytes}`);
  execFileSync('clang-19', link, { stdio: 'inherit' });
  rmSync(object);
  const names = functionNames(readFileSync(out));
  const missing = ['malloc', 'free', 'main'].filter((n) => !names.has(n));
  if (missing.length) throw new Error(`${out}: its name section lacks ${missing.join(', ')}; something stripped it after linking (a wasm-opt?): rebuild with clang-19 alone`);
  return out;
}

/**
 * Imports a workspace package's build (its dist/), or exits with a one-line error
 * that says to build it: the benchmark measures the built packages.
 */
export async function importBuilt(specifier, packageName) {
  try {
    return await import(specifier);
  } catch (e) {
    if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    process.stderr.write(`bench: ${packageName} is not built (${e.url ?? specifier} is missing): run pnpm run build\n`);
    process.exit(1);
  }
}

/** The function names of a module's name section (empty when it has none). */
export function functionNames(bytes) {
  const names = new Set();
  const section = WebAssembly.Module.customSections(new WebAssembly.Module(bytes), 'name')[0];
  if (!section) return names;
  const b = new Uint8Array(section);
  let at = 0;
  const leb = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = b[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const text = new TextDecoder();
  while (at < b.length) {
    const id = b[at++];
    const size = leb();
    const end = at + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        leb(); // function index
        const length = leb();
        names.add(text.decode(b.subarray(at, at + length)));
        at += length;
      }
    }
    at = end;
  }
  return names;
}
