// Builds the fixtures of test/deep with the real toolchains of this machine (see
// ../fixtures/build.sh for the packages). Compiled from this directory with relative
// source names, so DWARF names each file relative to its comp_dir (test/deep): the
// symbolizer must resolve it there to read the source lines.

import { stripCustomSections } from '@wasm-tracemalloc/instrument';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import * as tm from 'wasm-tracemalloc';

export const DEEP = fileURLToPath(new URL('.', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'wtm-deep-'));

/** Runs a compiler in test/deep; returns the bytes of `name` it wrote. */
export function build(name: string, tool: string, args: string[]): Uint8Array<ArrayBuffer> {
  const path = join(out, name);
  execFileSync(tool, [...args, '-o', path], { cwd: DEEP, stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(path);
}

export const clang = (name: string, args: string[]) => build(name, 'clang-19', ['--target=wasm32-wasi', '-O2', '-g', ...args]);
export const clangxx = (name: string, args: string[]) => build(name, 'clang++-19', ['--target=wasm32-wasi', '-O2', '-g', '-std=c++17', ...args]);
/** Debian's rustc 1.63 (never a rustup one on PATH), a wasm32-unknown-unknown cdylib. */
export const rustc = (name: string, args: string[]) =>
  build(name, '/usr/bin/rustc', ['--target', 'wasm32-unknown-unknown', '--edition', '2021', '-C', 'opt-level=2', '-C', 'codegen-units=1', '-g', '--crate-type', 'cdylib', ...args]);

export interface RunResult {
  status: number;
  stdout: string;
}

/** Runs a WASI command (traced through tm.instantiateTraced, or as it is). */
export async function runCommand(bytes: Uint8Array<ArrayBuffer>, name: string, traced: boolean): Promise<RunResult> {
  const file = join(out, `${name}.${traced ? 'traced' : 'plain'}.stdout`);
  const fd = openSync(file, 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args: [name], returnOnExit: true, stdout: fd });
    const imports = { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports;
    const instance = traced ? (await tm.instantiateTraced(bytes, imports, { name })).instance : (await WebAssembly.instantiate(bytes, imports)).instance;
    const status = wasi.start(instance);
    return { status, stdout: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

/** The 1-based line of `text` in a source of test/deep (exactly one line holds it). */
export function lineOf(file: string, text: string): number {
  const lines = readFileSync(join(DEEP, file), 'utf8').split('\n');
  const at = lines.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (at.length !== 1) throw new Error(`${file}: ${at.length} lines hold ${JSON.stringify(text)}`);
  return at[0]!;
}

/** The module without its `.debug_*` custom sections. */
export function withoutDebugSections(bytes: Uint8Array): Uint8Array {
  return stripCustomSections(bytes, (name) => name.startsWith('.debug_')).bytes;
}
