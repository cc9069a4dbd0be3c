// The seeds mutants are made from: real modules and real snapshots, small enough
// that a mutant runs in tens of milliseconds.
//
// Modules: the test fixtures built from source by test/fixtures/build.sh (C, C++,
// Rust and AssemblyScript, with names, DWARF 4 and 5, a sourceMappingURL and
// target_features sections), plus the smallest release modules of
// test/real-world's packages when installed. The list is fixed and in order: a
// mutant's number picks from it, so another list means other mutants (the runner
// prints it).
//
// Snapshots: written by `wasm-tracemalloc run --snapshot` from fixtures that keep
// blocks, then re-encoded as versions 1, 2 and 3 with their timestamps zeroed, so
// the same programs give the same bytes on every run.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Snapshot, encodeSnapshot } from '@wasm-tracemalloc/runtime/model';

const TEST = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(TEST, '..');
const FIXTURES = join(TEST, 'fixtures/build');
const CLI = join(ROOT, 'packages/cli/bin/wasm-tracemalloc.js');
export const CORPUS_DIR = join(ROOT, 'test-output/fuzz/corpus');

const FIXTURE_MODULES = [
  'leak_cli.wasm', 'leak.wasm', 'leak.reactor.wasm', 'dwarf5.wasm', 'realloc_free.wasm',
  'objects.wasm', 'objects.reactor.wasm',
  'lib_rs.wasm', // Rust's std DWARF makes it 5 MB, still about 40 ms to instrument
  'leak_as.debug.wasm', 'leak_as.release.wasm', 'leak_as.release.stripped.wasm', 'leak_as.sourcemap.wasm',
];
const REAL_WORLD_MODULES = [
  'rabin-wasm/dist/rabin.wasm', // Rust, wasm-pack
  'lz4-wasm/lz4_wasm_bg.wasm', // Rust, wasm-bindgen
  'box2d-wasm/dist/es/Box2D.wasm', // C++, Emscripten
  '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm', // C, Emscripten
];

/** The modules to mutate, in a fixed order; fixtures must be built. */
export function moduleCorpus() {
  const missing = FIXTURE_MODULES.filter((name) => !existsSync(join(FIXTURES, name)));
  if (missing.length) throw new Error(`fuzz: fixtures not built (${missing.join(', ')}); run bash test/fixtures/build.sh first`);
  const corpus = FIXTURE_MODULES.map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(FIXTURES, name))) }));
  for (const path of REAL_WORLD_MODULES) {
    const file = join(TEST, 'node_modules', path);
    if (existsSync(file)) corpus.push({ name: path, bytes: new Uint8Array(readFileSync(file)) });
  }
  return corpus;
}

/** The source map the sourceMappingURL of leak_as.sourcemap.wasm names, so mutants reach the source-map reader. */
export function sourceMaps() {
  const file = join(FIXTURES, 'leak_as.sourcemap.wasm.map');
  return existsSync(file) ? { 'leak_as.sourcemap.wasm.map': readFileSync(file, 'utf8') } : {};
}

// name → how it is recorded and the format versions it is written in.
const SNAPSHOT_RECIPES = [
  { name: 'leak_cli', program: 'leak_cli.wasm', args: ['--nframe', '8'], versions: [1, 2] },
  { name: 'leak_rs', program: 'leak_rs.wasm', args: ['--nframe', '16'], versions: [2] },
  { name: 'leak_rs.sampled', program: 'leak_rs.wasm', args: ['--nframe', '4', '--sampling-interval-bytes', '512'], versions: [3] },
  { name: 'leak.empty', program: 'leak.wasm', args: [], versions: [2] },
];

/** The data of a snapshot with every time set to a constant: same program, same bytes. */
function withoutTimes(data) {
  const out = { ...data, meta: data.meta && { ...data.meta, timestamp: 0 } };
  if (data.samples) out.samples = { ...data.samples, start: 0, time: data.samples.time.map((_, i) => i * 100) };
  return out;
}

/** The snapshots to mutate, recorded once into test-output/fuzz/corpus and reused. */
export function snapshotCorpus() {
  mkdirSync(CORPUS_DIR, { recursive: true });
  const corpus = [];
  for (const recipe of SNAPSHOT_RECIPES) {
    const files = recipe.versions.map((v) => join(CORPUS_DIR, `${recipe.name}.v${v}.wtmsnap`));
    if (!files.every(existsSync)) {
      const raw = join(CORPUS_DIR, `${recipe.name}.recorded.wtmsnap`);
      // The program's own exit code (3 for leak_rs) is not ours to judge; the snapshot is.
      try {
        execFileSync(process.execPath, [CLI, 'run', join(FIXTURES, recipe.program), '--snapshot', raw, ...recipe.args], { stdio: 'ignore' });
      } catch (e) {
        if (!existsSync(raw)) throw new Error(`fuzz: could not record the ${recipe.name} snapshot: ${e.message}`);
      }
      const data = withoutTimes(Snapshot.load(new Uint8Array(readFileSync(raw)), raw).data);
      recipe.versions.forEach((version, i) => writeFileSync(files[i], encodeSnapshot(data, { version })));
    }
    files.forEach((file, i) => corpus.push({ name: `${recipe.name}.v${recipe.versions[i]}.wtmsnap`, bytes: new Uint8Array(readFileSync(file)) }));
  }
  return corpus;
}

export function corpusFor(kind) {
  return kind === 'instrument' ? moduleCorpus() : snapshotCorpus();
}
