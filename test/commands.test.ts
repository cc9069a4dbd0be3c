// The fixture commands, original vs instrumented: same stdout, same exit code; and
// the CLI a user runs: run, instrument, show, node.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { fileURLToPath } from 'node:url';
import { instrument, instantiateTraced, start, stop, takeSnapshot, getTracedMemory, getTracerStats, formatSize, Snapshot } from 'wasm-tracemalloc';
import { readModule } from '@wasm-tracemalloc/instrument';
import { BUILDS, buildPath, functionIn, srcPath } from './fixtures/facts.js';

const CLI = fileURLToPath(new URL('../packages/cli/bin/wasm-tracemalloc.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'wtm-'));

/** Runs a WASI command in process, stdout to a file; returns [exit code, stdout]. */
async function runCommand(bytes: Uint8Array<ArrayBuffer>, name: string, traced: boolean): Promise<[number, string]> {
  const out = join(tmp, `${name}.${traced ? 'traced' : 'orig'}.out`);
  const fd = openSync(out, 'w');
  const wasi = new WASI({ version: 'preview1', args: [name], returnOnExit: true, stdout: fd });
  const imports = { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports;
  const instance = traced ? (await instantiateTraced(bytes, imports, { name })).instance : (await WebAssembly.instantiate(bytes, imports)).instance;
  const code = wasi.start(instance) ?? 0;
  closeSync(fd);
  return [code, readFileSync(out, 'utf8')];
}

const commands = BUILDS.filter((b) => b.run === 'wasi-command');

describe.each(commands.map((b) => [b.file, b] as const))('%s: instrumented behaves like the original', (file, build) => {
  it('same stdout and exit code, and exactly the facts live at exit', async () => {
    const original = readFileSync(buildPath(file));
    const [code, stdout] = await runCommand(original, file, false);
    expect(code).toBe(build.exitCode);
    expect(stdout).toBe(build.stdout);

    stop();
    start(1);
    // Keyed by the name-section function of each site, so without source frames.
    const traced = instrument(original, { source: file, symbols: 'none' }).bytes;
    const [tracedCode, tracedStdout] = await runCommand(traced, file, true);
    expect(tracedCode).toBe(code);
    expect(tracedStdout).toBe(stdout);

    const [current, peak] = getTracedMemory();
    expect(current).toBe(build.totals!.liveDelta);
    expect(peak).toBe(build.totals!.peakDelta);
    expect(getTracerStats()).toMatchObject({ traces: build.totals!.blocksDelta, untracedFrees: 0, doubleFrees: 0, lostTraces: 0 });
    const live = new Map<string, number>();
    for (const t of takeSnapshot().traces) {
      const key = `${t.traceback.frames.at(-1)!.function}|${t.size}`;
      live.set(key, (live.get(key) ?? 0) + 1);
    }
    for (const fact of build.liveAtExit!) expect(live.get(`${functionIn(fact, file)}|${fact.size}`), `${fact.function} ${fact.size} B`).toBe(fact.count);
    expect([...live.values()].reduce((a, b) => a + b, 0)).toBe(build.liveAtExit!.reduce((n, f) => n + f.count, 0));
  });
});

function cli(args: string[], opts: { cwd?: string } = {}) {
  // The instrument cache in the test's own directory, not the user's.
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, WASM_TRACEMALLOC_CACHE_DIR: join(tmp, 'cache') } });
}

describe('wasm-tracemalloc run', () => {
  it('reports the leak in tracemalloc format on stderr, keeping stdout and exit code', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '--snapshot', join(tmp, 'cli.wtmsnap')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
    expect(r.stderr).toMatch(/^wasm-tracemalloc: leak_cli\.wasm: peak 97\.7 KiB, current 97\.7 KiB in 1000 blocks/m);
    expect(r.stderr).toContain(`\n#1: ${srcPath('leak_cli.c')}:17: size=97.7 KiB, count=1000, average=100 B\n`);
    expect(r.stderr).toMatch(/^Total allocated size: 97\.7 KiB in 1000 blocks$/m);
    const snapshot = Snapshot.load(new Uint8Array(readFileSync(join(tmp, 'cli.wtmsnap'))), 'cli.wtmsnap');
    expect(snapshot.statistics('lineno').map((s) => [s.size, s.count])).toEqual([[100000, 1000]]);
  });

  it('passes the program its arguments and exit code', () => {
    const r = cli(['run', buildPath('leak.wasm'), '--top', '3', '--', 'extra']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe(BUILDS.find((b) => b.file === 'leak.wasm')!.stdout);
    expect(r.stderr).toMatch(/^wasm-tracemalloc: leak\.wasm: peak 233 KiB, current 0 B in 0 blocks/m);
  });

  it('groups by traceback and by file', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '--key', 'traceback']);
    expect(r.stderr).toContain(
      `\nTop 1 tracebacks\n#1: size=97.7 KiB, count=1000, average=100 B\n  File "${srcPath('leak_cli.c')}", line 17\n    blocks[i] = malloc(BLOCK_SIZE); /* SITE leak */\nTotal`,
    );
    const f = cli(['run', buildPath('leak_cli.wasm'), '--key', 'filename']);
    expect(f.stderr).toContain(`\n#1: ${srcPath('leak_cli.c')}:0: size=97.7 KiB, count=1000, average=100 B\n`);
    // Without symbols: the function and the call's offset in the module.
    const none = cli(['run', buildPath('leak_cli.wasm'), '--key', 'traceback', '--symbols', 'none']);
    expect(none.stderr).toMatch(/^Top 1 tracebacks\n#1: size=97\.7 KiB, count=1000, average=100 B\n  File "leak_cli\.wasm", offset 0x[0-9a-f]+, in leak$/m);
  });

  it('--sampling-interval-bytes: a sample of the leak, its estimates said to be estimates', () => {
    const file = join(tmp, 'sampled.wtmsnap');
    // At one sample per 256 B, each 100 B block is traced with p = 1 − e^(−100/256) = 0.32:
    // about 323 of the 1000, and the estimate's standard deviation is 4.6%.
    const r = cli(['run', buildPath('leak_cli.wasm'), '--sampling-interval-bytes', '256', '--snapshot', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
    const snapshot = Snapshot.load(new Uint8Array(readFileSync(file)), file);
    expect(snapshot.samplingIntervalBytes).toBe(256);
    expect(snapshot.traces.every((t) => t.size === 100 && String(t.traceback) === `${srcPath('leak_cli.c')}:17`)).toBe(true);
    const [stat] = snapshot.statistics('lineno');
    expect(Math.abs(stat!.size / 100_000 - 1)).toBeLessThan(0.25);
    expect(Math.abs(stat!.count / 1000 - 1)).toBeLessThan(0.25);
    expect(r.stderr).toContain(
      `\nnote: sampled, one trace per 256 B allocated on average: sizes and counts are estimates from ${snapshot.length} traces, and double or untraced frees are not detected\n`,
    );
    expect(r.stderr).toContain(`\n#1: ${stat}\n`);
    expect(r.stderr).toContain(`\nTotal allocated size (estimated): ${formatSize(stat!.size)} in ${stat!.count} blocks\n`);
    expect(cli(['run', buildPath('leak_cli.wasm'), '--sampling-interval-bytes', '4k'])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('--sampling-interval-bytes must be a whole number of bytes, such as 4096 (0 traces every allocation), got "4k"'),
    });
  });

  it('rejects bad options and missing files with a clear message', () => {
    expect(cli(['run', buildPath('leak_cli.wasm'), '--key', 'bogus'])).toMatchObject({ status: 2, stderr: expect.stringContaining('--key must be lineno, filename or traceback') });
    expect(cli(['run', buildPath('leak_cli.wasm'), '--symbols', 'dwarf'])).toMatchObject({ status: 2, stderr: expect.stringContaining('--symbols must be embed, side or none, got "dwarf"') });
    expect(cli(['run', join(tmp, 'nope.wasm')])).toMatchObject({ status: 2, stderr: expect.stringMatching(/no such file/) });
    expect(cli(['run', buildPath('leak.reactor.wasm')])).toMatchObject({ status: 2, stderr: expect.stringContaining('has no _start export') });
  });
});

describe('wasm-tracemalloc instrument', () => {
  it('prints the usage for --help, with exit code 0', () => {
    for (const args of [['instrument', '--help'], ['run', '-h'], ['show', '--help']]) {
      const r = cli(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('wasm-tracemalloc instrument IN.wasm -o OUT.wasm [--max-frames N]');
    }
  });

  it('prints what it found and writes a module that validates', () => {
    const out = join(tmp, 'objects.traced.wasm');
    const r = cli(['instrument', buildPath('objects.wasm'), '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/operator new\(unsigned long\) \(c\+\+ alloc, function \d+, defined\): \d+ direct call sites/);
    expect(r.stdout).toMatch(/removed stale debug sections: .*\.debug_info/);
    // By default the build keeps up to 128 frames: the 43 allocator calls plus the 38
    // calls that lead to one; those in libc++ (no DWARF here) are named by function.
    expect(r.stdout).toMatch(/shadow stack of up to 128 frames: 38 calls in 19 functions and 1 function-pointer entries push their site; 8 exports restore it after exceptions/);
    expect(r.stdout).toMatch(/source frames for 58 of 81 call sites \(58 from DWARF, 0 from a source map; 23 by function name only\), in the site table/);
    expect(WebAssembly.validate(readFileSync(out))).toBe(true);
  });

  it('--symbols side keeps source paths out of the module and writes them to OUT.wasm.sites.json', async () => {
    const out = join(tmp, 'leak_cli.side.wasm');
    const r = cli(['instrument', buildPath('leak_cli.wasm'), '-o', out, '--symbols', 'side']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}.sites.json`);
    const bytes = readFileSync(out);
    expect(bytes.includes('leak_cli.c')).toBe(false);
    const side = readFileSync(`${out}.sites.json`, 'utf8');
    expect(side).toContain(JSON.stringify(srcPath('leak_cli.c')));

    stop();
    start(1);
    const wasi = new WASI({ version: 'preview1', args: ['leak_cli.wasm'], returnOnExit: true, stdout: openSync('/dev/null', 'w') });
    const imports = { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports;
    const { instance } = await instantiateTraced(bytes, imports, { name: 'leak_cli.wasm', sites: side });
    wasi.start(instance);
    expect(takeSnapshot().statistics('lineno').map(String)).toEqual([`${srcPath('leak_cli.c')}:17: size=97.7 KiB, count=1000, average=100 B`]);
    // Without its side table the module traces as well, by function and offset.
    stop();
    start(1);
    const wasi2 = new WASI({ version: 'preview1', args: ['leak_cli.wasm'], returnOnExit: true, stdout: openSync('/dev/null', 'w') });
    const plain = await instantiateTraced(bytes, { wasi_snapshot_preview1: wasi2.wasiImport } as WebAssembly.Imports, { name: 'leak_cli.wasm' });
    wasi2.start(plain.instance);
    expect(takeSnapshot().statistics('lineno').map(String)).toEqual([expect.stringMatching(new RegExp(`^${plain.name}:leak\\+0x[0-9a-f]+: size=97\\.7 KiB, count=1000, average=100 B$`))]);
    // A side table of another build is refused, naming both.
    await expect(instantiateTraced(bytes, imports, { name: 'leak_cli.wasm', sites: readFileSync(`${out}.sites.json`, 'utf8').replace('"sites":[', '"sites":[{"kind":"host","allocator":"x","func":-1,"offset":0},') })).rejects.toThrow(
      /side table of leak_cli\.wasm: does not belong to leak_cli\.wasm \(\d+ sites, the module has \d+\); use the \.sites\.json written together with this instrumented module/,
    );
  });

  it('refuses a file that is not Wasm, writing nothing', () => {
    const bad = join(tmp, 'index.html');
    writeFileSync(bad, '<!doctype html><p>404');
    const out = join(tmp, 'never.wasm');
    const r = cli(['instrument', bad, '-o', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}: not a WebAssembly module: missing the "\\0asm" magic number (at byte offset 0`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a truncated module, naming the offset, writing nothing', () => {
    const cut = join(tmp, 'cut.wasm');
    const bytes = readFileSync(buildPath('leak.wasm'));
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const r = cli(['instrument', cut, '-o', join(tmp, 'cut.out.wasm')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cut\.wasm: truncated: .* section declares \d+ bytes but only \d+ remain \(at byte offset \d+/);
    expect(existsSync(join(tmp, 'cut.out.wasm'))).toBe(false);
  });

  it('finds the free of AssemblyScript -O3 without names by structure, and says so', () => {
    const r = cli(['instrument', buildPath('leak_as.release.stripped.wasm'), '-o', join(tmp, 'as.stripped.traced.wasm')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/__new \(assemblyscript alloc, function \d+, defined, exported as "__new"\): \d+ direct call sites; found by export: export __new/);
    // The same function the named build calls ~lib/rt/tlsf/__free.
    const free = readModule(readFileSync(buildPath('leak_as.release.wasm'))).functions.find((f) => f.name === '~lib/rt/tlsf/__free')!.index;
    expect(r.stdout).toContain(`wasm-function[${free}] (assemblyscript free, function ${free}, defined): 2 direct call sites; found by structure: AssemblyScript's TLSF __free`);
    expect(r.stderr).not.toMatch(/no matching free/);
  });

  it('traces AssemblyScript -O3 without names exactly as the same build with names', async () => {
    const run = async (file: string) => {
      stop();
      start(1);
      const { instance } = await instantiateTraced(instrument(readFileSync(buildPath(file)), { source: file, maxFrames: 1 }).bytes, { env: { abort: () => {} } }, { name: file });
      const e = instance.exports as unknown as { leakBuffers(n: number): number; dropBuffers(): void; __collect(): void };
      const at = () => {
        const s = takeSnapshot();
        return [s.traces.length, s.traces.reduce((n, t) => n + t.size, 0)];
      };
      e.leakBuffers(100);
      const leaked = at();
      e.dropBuffers();
      e.__collect();
      const collected = at();
      const stats = getTracerStats();
      stop();
      return { leaked, collected, untracedFrees: stats.untracedFrees, doubleFrees: stats.doubleFrees };
    };
    const named = await run('leak_as.release.wasm');
    // 100 buffers of 100 B, the Array, and its backing store at every size it grew
    // through (32, 64, …, 512 B: the old ones are garbage not yet collected). The
    // collector then frees the buffers and the old stores; the Array and its store stay.
    expect(named).toEqual({ leaked: [106, 100 * 100 + 16 + (32 + 64 + 128 + 256 + 512)], collected: [2, 16 + 512], untracedFrees: 0, doubleFrees: 0 });
    expect(await run('leak_as.release.stripped.wasm')).toEqual(named);
  });

  it('passes a module with no allocator through with a warning that says how to name one', () => {
    const out = join(tmp, 'stripped.out.wasm');
    const src = buildPath('leak_as.release.stripped.wasm');
    const r = cli(['instrument', src, '-o', out, '--no-presets']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/no allocator found, so nothing is traced and the module is unchanged/);
    expect(r.stderr).toContain('--alloc NAME=KIND');
    expect(readFileSync(out).equals(readFileSync(src))).toBe(true);
  });
});

describe('wasm-tracemalloc show', () => {
  it('prints statistics and a diff between two snapshots', () => {
    const a = join(tmp, 'a.wtmsnap');
    const b = join(tmp, 'b.wtmsnap');
    // a: the leak; b: the leak program's full run (everything released)
    cli(['run', buildPath('leak_cli.wasm'), '--snapshot', a]);
    cli(['run', buildPath('leak.wasm'), '--snapshot', b]);
    const show = cli(['show', a]);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(`\n#1: ${srcPath('leak_cli.c')}:17: size=97.7 KiB, count=1000, average=100 B\n`);
    const diff = cli(['show', b, '--compare', a]);
    expect(diff.stdout).toContain(`\n#1: ${srcPath('leak_cli.c')}:17: size=0 B (-97.7 KiB), count=0 (-1000)\n`);
  });

  it('rejects a corrupt snapshot with a clear message', () => {
    const good = readFileSync(join(tmp, 'cli.wtmsnap'));
    const corrupt = join(tmp, 'corrupt.wtmsnap');
    const flipped = Buffer.from(good);
    flipped[flipped.length - 20]! ^= 0xff;
    writeFileSync(corrupt, flipped);
    const r = cli(['show', corrupt]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/corrupt\.wtmsnap/);
    expect(r.stderr).toMatch(/CRC|corrupt/i);
    writeFileSync(corrupt, good.subarray(0, 40));
    expect(cli(['show', corrupt])).toMatchObject({ status: 2, stderr: expect.stringMatching(/truncated/) });
  });
});

describe('wasm-tracemalloc node', () => {
  it('traces every module an unmodified Node program compiles, keeping its output and exit code', () => {
    const script = join(tmp, 'app.mjs');
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
const { instance } = await WebAssembly.instantiate(readFileSync(${JSON.stringify(buildPath('lib_rs.wasm'))}));
console.log('blocks', instance.exports.alloc_blocks(250, 64));
const m = new WebAssembly.Module(readFileSync(${JSON.stringify(buildPath('lib_rs.wasm'))}));
new WebAssembly.Instance(m, {}).exports.alloc_blocks(4, 1000);
process.exitCode = 7;
`,
    );
    // Without symbols, frames name each instance's module: two domains, two lines.
    const r = cli(['node', '--top', '5', '--symbols', 'none', script]);
    expect(r.stdout).toBe('blocks 250\n');
    expect(r.status).toBe(7);
    expect(r.stderr).not.toMatch(/Warning/);
    expect(r.stderr).toMatch(/^wasm-tracemalloc: peak 19\.5 KiB, current 19\.5 KiB in 254 blocks/m);
    expect(r.stderr).toMatch(/^#1: lib_rs\.wasm:_ZN6lib_rs11alloc_block\w*\+0x[0-9a-f]+: size=15\.6 KiB, count=250, average=64 B$/m);
    expect(r.stderr).toMatch(/^#2: lib_rs\.wasm#2:_ZN6lib_rs11alloc_block\w*\+0x[0-9a-f]+: size=4000 B, count=4, average=1000 B$/m);
    // With them (the default), both instances allocate at the same source line, which
    // 'lineno' merges as tracemalloc does: __rust_alloc inlined from alloc.rs, under
    // lib_rs.rs:24 in a traceback.
    const sym = cli(['node', '--top', '5', script]);
    expect(sym.status).toBe(7);
    expect(sym.stderr).toContain('\n#1: /usr/src/rustc-1.63.0/library/alloc/src/alloc.rs:89: size=19.5 KiB, count=254, average=79 B\n');
    const tb = cli(['node', '--key', 'traceback', script]);
    expect(tb.stderr).toContain(`  File "${srcPath('lib_rs.rs')}", line 24\n    let p = unsafe { alloc(layout) }; // SITE alloc_block\n`);
    // Sampled at one per 64 B: each 1000 B block is traced (p = 1 − e^−15.6) and counts exactly.
    const sampled = cli(['node', '--top', '5', '--symbols', 'none', '--sampling-interval-bytes', '64', script]);
    expect(sampled.status).toBe(7);
    expect(sampled.stdout).toBe('blocks 250\n');
    expect(sampled.stderr).toMatch(/^note: sampled, one trace per 64 B allocated on average: sizes and counts are estimates from \d+ traces/m);
    expect(sampled.stderr).toMatch(/^#\d: lib_rs\.wasm#2:_ZN6lib_rs11alloc_block\w*\+0x[0-9a-f]+: size=4000 B, count=4, average=1000 B$/m);
  });
});
