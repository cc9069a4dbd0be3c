// `wasm-tracemalloc instrument` on damaged and hostile modules, through the real CLI:
// bad input is one line on stderr, exit 2 and no output file; damage V8 tolerates
// (names, target_features) is one warning line and a module that runs; binaryen's
// source or messages never reach the terminal.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModule } from '@wasm-tracemalloc/instrument';
import { buildPath, srcPath } from './fixtures/facts.js';

const CLI = fileURLToPath(new URL('../packages/cli/bin/wasm-tracemalloc.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'wtm-hardening-'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Instruments `bytes` saved as `name`; returns the CLI's result and the output path. */
function instrumentFile(name: string, bytes: Uint8Array) {
  const input = join(tmp, name);
  const output = join(tmp, `${name}.out.wasm`);
  writeFileSync(input, bytes);
  return { ...cli(['instrument', input, '-o', output]), input, output };
}

const leakCli = () => new Uint8Array(readFileSync(buildPath('leak_cli.wasm')));
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

/** Offset of the size of the name section's function-names subsection. */
function functionNamesSizeAt(bytes: Uint8Array): number {
  const names = readModule(bytes).sections.find((s) => s.name === 'name')!;
  let pos = names.contentStart + 1 + 'name'.length;
  for (;;) {
    const id = bytes[pos++]!;
    if (id === 1) return pos;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[pos++]!;
      size += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
    }
    pos += size;
  }
}

describe('instrument refuses bad input in one line, exit 2, no output', () => {
  it.each([
    ['not Wasm', 'page.wasm', () => new TextEncoder().encode('<!doctype html><html>404</html>'), /^wasm-tracemalloc instrument: .*page\.wasm: not a WebAssembly module: missing the "\\0asm" magic number \(at byte offset 0, 0x0\)$/],
    ['truncated in the code section', 'cut.wasm', () => leakCli().subarray(0, readModule(leakCli()).codeSection!.contentStart + 100), /^wasm-tracemalloc instrument: .*cut\.wasm: truncated: code section declares \d+ bytes but only 100 remain \(at byte offset \d+, 0x[0-9a-f]+\)$/],
    ['an opcode V8 refuses', 'opcode.wasm', () => {
      const bytes = leakCli();
      bytes[readModule(bytes).functions.find((f) => f.body)!.body!.code] = 0xff;
      return bytes;
    }, /^wasm-tracemalloc instrument: .*opcode\.wasm: not a valid WebAssembly module: .*@\+\d+/],
  ])('%s', (_, name, make, message) => {
    const r = instrumentFile(name, make());
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(r.output)).toBe(false);
  });
});

describe('instrument warns about damage V8 tolerates, and writes a module that traces', () => {
  const traced = (output: string) => {
    const run = cli(['run', output]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('done\n');
    expect(run.stderr).toContain(`\n#1: ${srcPath('leak_cli.c')}:17: size=97.7 KiB, count=1000, average=100 B\n`);
  };

  it('a damaged function-names subsection', () => {
    const bytes = leakCli();
    const sizeAt = functionNamesSizeAt(bytes);
    expect(bytes[sizeAt + 1]! & 0x80).toBe(0); // a two-byte size: 2047 fits in place
    bytes.set([0xff, 0x0f], sizeAt);
    const r = instrumentFile('names.wasm', bytes);
    expect(r.status).toBe(0);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^warning: .*names\.wasm: the "name" section is damaged at byte \d+ \(function names subsection declares 2047 bytes but the section ends \d+ bytes later\); the names from there on are ignored$/)]);
    traced(r.output);
  });

  it('a damaged target_features section', () => {
    const bytes = leakCli();
    const features = readModule(bytes).sections.find((s) => s.name === 'target_features')!;
    bytes[features.contentStart + 1 + 'target_features'.length] = 9; // 9 features, 4 there
    const r = instrumentFile('features.wasm', bytes);
    expect(r.status).toBe(0);
    expect(lines(r.stderr)).toEqual([`warning: ${join(tmp, 'features.wasm')}: the "target_features" section is damaged at byte ${features.end} (unexpected end of data); it is left out of the output`]);
    traced(r.output);
  });

  it('a NUL in a function name, at the default 128 frames: no warning, no abort', () => {
    const bytes = leakCli();
    const names = readModule(bytes).sections.find((s) => s.name === 'name')!;
    const at = Buffer.from(bytes.subarray(names.contentStart, names.end)).indexOf('\x04leak') + names.contentStart;
    bytes[at + 2] = 0; // "l\0ak"
    const r = instrumentFile('nul.wasm', bytes);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/Aborted|function\(|=>/);
    traced(r.output);
  });
});
