// Builds the Wasm programs of ../test-programs with this machine's real toolchains
// (see test/fixtures/build.sh for the Debian packages), once per content: a build
// is kept under the OS temp directory by the hash of its source, compiler and
// flags, so test files and repeated runs share it.
//
// Sources are passed by absolute path from a working directory above none of them,
// so DWARF records absolute paths and frames print them as PROGRAMS/leak.c.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROGRAMS = fileURLToPath(new URL('../test-programs/', import.meta.url));
const CACHE = join(tmpdir(), 'wasm-tracemalloc-vitest-programs');
const ASC = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin/asc.js');

interface Recipe {
  /** The file written, named as frames and domains will name it. */
  output: string;
  source: string;
  tool: string;
  args: (source: string, output: string) => string[];
}

const RECIPES = {
  c: { output: 'leak_c.wasm', source: 'leak.c', tool: 'clang-19', args: (src, out) => ['--target=wasm32-wasi', '-O2', '-g', '-mexec-model=reactor', src, '-o', out] },
  // Debian's rustc 1.63, never a rustup one on PATH; it has wasm32-wasi and wasm32-unknown-unknown, not wasm32-wasip1.
  rust: { output: 'leak_rs.wasm', source: 'leak.rs', tool: '/usr/bin/rustc', args: (src, out) => ['--target', 'wasm32-unknown-unknown', '--edition', '2021', '-C', 'opt-level=2', '-C', 'codegen-units=1', '-g', '--crate-type', 'cdylib', src, '-o', out] },
  // asc names functions by the source's path from its working directory (leak_as/leak).
  as: { output: 'leak_as.wasm', source: 'leak_as.ts', tool: process.execPath, args: (_src, out) => [ASC, 'leak_as.ts', '--debug', '--sourceMap', '--exportRuntime', '-o', out] },
} satisfies Record<string, Recipe>;

export type Program = keyof typeof RECIPES;

function toolIdentity(recipe: Recipe): string {
  if (recipe.tool === process.execPath) return readFileSync(join(dirname(ASC), '../package.json'), 'utf8');
  return execFileSync(recipe.tool, ['--version'], { encoding: 'utf8' });
}

/** The path of `program` built from its current source (building it if this content was never built). */
export function buildProgram(program: Program): string {
  const recipe: Recipe = RECIPES[program];
  const source = join(PROGRAMS, recipe.source);
  const hash = createHash('sha256')
    .update(readFileSync(source))
    .update('\0' + toolIdentity(recipe))
    .update('\0' + recipe.args(source, recipe.output).join(' '))
    .digest('hex')
    .slice(0, 16);
  const dir = join(CACHE, `${program}-${hash}`);
  const output = join(dir, recipe.output);
  if (existsSync(output)) return output;
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, `.${program}-`));
  try {
    const cwd = recipe.tool === process.execPath ? PROGRAMS : work;
    execFileSync(recipe.tool, recipe.args(source, join(work, recipe.output)), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    for (const f of readdirSync(work)) if (f !== recipe.output && !f.startsWith(recipe.output)) rmSync(join(work, f), { recursive: true, force: true });
    try {
      renameSync(work, dir); // atomic: a concurrent build of the same content may win, which is as good
    } catch (e) {
      if (!existsSync(output)) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return output;
}

/** The 1-based line of `file` (in test-programs) that holds `text`; exactly one must. */
export function lineOf(file: string, text: string): number {
  const lines = readFileSync(join(PROGRAMS, file), 'utf8').split('\n');
  const at = lines.flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (at.length !== 1) throw new Error(`${file}: ${at.length} lines hold ${JSON.stringify(text)}`);
  return at[0]!;
}
