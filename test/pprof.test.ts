// `wasm-tracemalloc show SNAP --pprof OUT.pb.gz` on real programs: the file is gzip
// protobuf, and decoded it holds exactly the blocks the program leaked, stacks leaf first.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { decodePprof } from '@wasm-tracemalloc/runtime/pprof';
import { BUILDS, buildPath, srcPath } from './fixtures/facts.js';

const CLI = fileURLToPath(new URL('../packages/cli/bin/wasm-tracemalloc.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'wtm-pprof-'));
const hasGo = spawnSync('go', ['version']).status === 0;

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

/** Runs `wasm` under the CLI, exports its snapshot to pprof; returns the .pb.gz path and show's stdout. */
function exportProfile(wasm: string, runArgs: string[] = []): { file: string; stdout: string } {
  const snap = join(tmp, `${wasm}.wtmsnap`);
  const file = join(tmp, `${wasm}.pb.gz`);
  const run = cli(['run', buildPath(wasm), ...runArgs, '--snapshot', snap]);
  expect(run.status, run.stderr).toBe(BUILDS.find((b) => b.file === wasm)!.exitCode);
  const show = cli(['show', snap, '--pprof', file]);
  expect(show.status, show.stderr).toBe(0);
  return { file, stdout: show.stdout };
}

/** Samples with their values and their stacks as function names, leaf first. */
function samples(file: string) {
  const gz = readFileSync(file);
  expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
  const p = decodePprof(new Uint8Array(gunzipSync(gz)));
  const s = (i: unknown) => p.stringTable.strings[Number(i)];
  const fnName = new Map(p.function.map((f) => [Number(f.id), s(f.name)]));
  const locFn = new Map(p.location.map((l) => [Number(l.id), fnName.get(Number(l.line[0].functionId))!]));
  return {
    strings: p.stringTable.strings,
    sampleTypes: p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`),
    samples: p.sample.map((x) => ({
      values: x.value.map(Number),
      domain: x.label.filter((l) => s(l.key) === 'domain').map((l) => s(l.str)),
      stack: x.locationId.map((id) => locFn.get(Number(id))!),
    })),
  };
}

describe('wasm-tracemalloc show --pprof', () => {
  it('writes the 1000 leaked blocks of leak_cli as one sample of 1000 objects, 100000 bytes', () => {
    const { file, stdout } = exportProfile('leak_cli.wasm');
    expect(stdout).toContain(`pprof profile written to ${file}`);
    // the report is still printed
    expect(stdout).toContain(`\n#1: ${srcPath('leak_cli.c')}:17: size=97.7 KiB, count=1000, average=100 B\n`);
    const p = samples(file);
    expect(p.strings[0]).toBe('');
    expect(p.sampleTypes).toEqual(['inuse_objects/count', 'inuse_space/bytes']);
    expect(p.samples).toHaveLength(1);
    expect(p.samples[0].values).toEqual([1000, 100000]);
    expect(p.samples[0].domain).toEqual(['leak_cli.wasm']);
    expect(p.samples[0].stack[0]).toContain('leak');
  });

  it('writes a deep Rust traceback leaf first: the inlined allocation first, _start last', () => {
    const { file } = exportProfile('leak_rs.wasm', ['--nframe', '8']);
    const leak = samples(file).samples.find((x) => x.values[0] === 1000);
    expect(leak?.values).toEqual([1000, 100000]);
    // 8 sites; leak_boxes' site is 6 frames (Box::new and alloc's helpers are inlined into it).
    expect(leak!.stack).toEqual([
      'alloc::alloc::alloc',
      'alloc::alloc::Global::alloc_impl',
      '<alloc::alloc::Global as core::alloc::Allocator>::allocate',
      'alloc::alloc::exchange_malloc',
      'alloc::boxed::Box<T>::new',
      'leak_rs::leak_boxes',
      'phase_leak_boxes',
      'leak_rs::main',
      'leak_rs::main (indirect call)',
      'std::rt::lang_start::{{closure}}',
      'std::rt::lang_start::{{closure}} (indirect call)',
      '__original_main',
      '_start',
    ]);
  });

  // scripts/setup.sh installs Debian's golang-go for this test.
  it('loads in go tool pprof', () => {
    expect(hasGo, 'go is not installed: run scripts/setup.sh (Debian package golang-go)').toBe(true);
    const { file } = exportProfile('leak_cli.wasm');
    const top = spawnSync('go', ['tool', 'pprof', '-top', '-sample_index=inuse_objects', file], { encoding: 'utf8' });
    expect(top.status, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^Type: inuse_objects$/m);
    expect(top.stdout).toMatch(/^\s+1000\s+100%\s+100%\s+1000\s+100%\s+leak$/m);
    expect(top.stderr).not.toMatch(/Main binary filename not available/);
  });
});
