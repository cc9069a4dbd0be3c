// The CLI as a user meets it: mistakes get one line that names the mistake and the
// fix, never a stack trace; names from modules never reach the terminal raw.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPath, srcPath } from './fixtures/facts.js';
import { cliRunner, tempDir } from './cli-helpers.js';

const tmp = tempDir('wtm-cli-usability-');
const cli = cliRunner(join(tmp, 'cache')).run;
const version = (JSON.parse(readFileSync(new URL('../packages/cli/package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** No line of a stack trace, no source of a dependency: the whole answer is our one line. */
function oneLine(stderr: string): string {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  return stderr.trimEnd();
}

describe('wasm-tracemalloc: mistakes on the command line', () => {
  it('says to put the program arguments after --, and runs nothing', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '5', 'x']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toBe(`wasm-tracemalloc run: put the program's arguments after --: wasm-tracemalloc run ${buildPath('leak_cli.wasm')} [options] -- 5 x`);
  });

  it('names an unknown flag and lists the valid ones', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '--nframes', '5']);
    expect(r.status).toBe(2);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^wasm-tracemalloc run: unknown option --nframes; the options are --symbols, --symbols-from, --nframe, /);
    expect(line).toContain('--limit-leaks, --limit-memory, --report, --report-file, --no-cache, --source-map');
    expect(oneLine(cli(['show', '-x', 'a.wtmsnap']).stderr)).toBe('wasm-tracemalloc show: unknown option -x; the options are --compare, --key, --top, --cumulative, --peak, --pprof, --web, --port');
    expect(oneLine(cli(['run', buildPath('leak_cli.wasm'), '--top']).stderr)).toBe('wasm-tracemalloc run: --top needs a value');
  });

  it('says "no such file" for a missing program, script or snapshot', () => {
    const missing = join(tmp, 'nope.wasm');
    expect(cli(['run', missing])).toMatchObject({ status: 2, stderr: `wasm-tracemalloc run: no such file: ${missing}\n` });
    expect(cli(['node', join(tmp, 'nope.mjs')])).toMatchObject({ status: 2, stderr: `wasm-tracemalloc node: no such file: ${join(tmp, 'nope.mjs')}\n` });
    expect(cli(['show', join(tmp, 'nope.wtmsnap')])).toMatchObject({ status: 2, stderr: `wasm-tracemalloc show: no such file: ${join(tmp, 'nope.wtmsnap')}\n` });
    expect(cli(['instrument', missing, '-o', join(tmp, 'out.wasm')])).toMatchObject({ status: 2, stderr: `wasm-tracemalloc instrument: no such file: ${missing}\n` });
  });

  it('refuses --snapshot into a missing directory before the program runs', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '--snapshot', join(tmp, 'no-dir', 'x.wtmsnap')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe(''); // leak_cli prints "done" when it runs
    expect(oneLine(r.stderr)).toBe(`wasm-tracemalloc run: --snapshot ${join(tmp, 'no-dir', 'x.wtmsnap')}: no such directory: ${join(tmp, 'no-dir')}; create it first`);
    const script = join(tmp, 'prints.mjs');
    writeFileSync(script, 'console.log("ran");\n');
    expect(cli(['node', '--snapshot', join(tmp, 'no-dir', 'x.wtmsnap'), script])).toMatchObject({ status: 2, stdout: '' });
  });

  it('refuses --nframe above 128, the frames a module keeps', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '--nframe', '500']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toBe('wasm-tracemalloc run: --nframe must be an integer from 1 to 128 (the frames the shadow stack keeps), got "500"');
    expect(oneLine(cli(['instrument', buildPath('leak_cli.wasm'), '-o', join(tmp, 'o.wasm'), '--max-frames', '129']).stderr)).toContain('--max-frames must be an integer from 1 to 128');
  });

  it('prints its version', () => {
    expect(cli(['--version'])).toMatchObject({ status: 0, stdout: `wasm-tracemalloc ${version}\n` });
  });

  it('refuses a file that is not Wasm in one line, with exit 2 and no output file', () => {
    const fake = join(tmp, 'fake.wasm');
    writeFileSync(fake, 'not a module at all');
    const out = join(tmp, 'fake.out.wasm');
    const r = cli(['instrument', fake, '-o', out]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^wasm-tracemalloc instrument: ${fake.replace(/[.]/g, '\\.')}: `));
    expect(existsSync(out)).toBe(false);
    expect(cli(['run', fake])).toMatchObject({ status: 2, stdout: '' });
  });
});

describe('wasm-tracemalloc: names with terminal control characters', () => {
  // A real clang build whose source file name carries an SGR sequence and whose
  // function symbol carries "clear screen" and "set window title" sequences.
  const dir = tempDir('wtm-cli-evil-');
  const source = join(dir, 'evil\x1b[31m.c');
  writeFileSync(
    source,
    `#include <stdio.h>
#include <stdlib.h>
void *keep;
__attribute__((noinline)) void grow(void) __asm__("grow\\x1b[2J\\x1b]0;pwned\\x07");
__attribute__((noinline)) void grow(void) { keep = malloc(48); }
int main(void) { grow(); puts("ok"); return 0; }
`,
  );
  const wasm = join(dir, 'evil.wasm');
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', '-o', wasm, source], { cwd: dir });

  it('escapes them in run reports, as ls -b does, and says "1 block"', () => {
    const snapshot = join(dir, 'evil.wtmsnap');
    const r = cli(['run', wasm, '--symbols', 'none', '--snapshot', snapshot]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ok\n');
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stderr).toMatch(/^wasm-tracemalloc: evil\.wasm: peak 48 B, current 48 B in 1 block \(/m);
    expect(r.stderr).toMatch(/^#1: evil\.wasm:grow\\e\[2J\\e\]0;pwned\\a\+0x[0-9a-f]+: size=48 B, count=1, average=48 B$/m);
    expect(r.stderr).toContain('\nTotal allocated size: 48 B in 1 block\n');
    const tb = cli(['run', wasm, '--key', 'traceback']);
    expect(tb.stderr).toContain('\n  File "evil\\e[31m.c", line 5\n');
    const show = cli(['show', snapshot]);
    expect(show.status).toBe(0);
    expect(show.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(show.stdout).toMatch(/^#1: evil\.wasm:grow\\e\[2J\\e\]0;pwned\\a\+0x[0-9a-f]+: size=48 B, count=1, average=48 B$/m);
  });
});

describe('wasm-tracemalloc run: a program that traps', () => {
  it('reports what it had allocated, then one line for the trap, exit 1', () => {
    const dir = tempDir('wtm-cli-trap-');
    const source = join(dir, 'trap.c');
    writeFileSync(source, '#include <stdlib.h>\nvoid *keep;\nint main(void) { keep = malloc(24); __builtin_trap(); }\n');
    const wasm = join(dir, 'trap.wasm');
    execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', '-o', wasm, source], { cwd: dir });
    const r = cli(['run', wasm]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^wasm-tracemalloc: trap\.wasm: peak 24 B, current 24 B in 1 block/m);
    expect(r.stderr).toContain('\n#1: trap.c:3: size=24 B, count=1, average=24 B\n');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`wasm-tracemalloc run: ${wasm}: RuntimeError: unreachable`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
