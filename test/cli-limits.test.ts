// --limit-leaks / --limit-memory and --report json: what CI needs from run and node.

import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPath, srcPath } from './fixtures/facts.js';
import { cliRunner, tempDir } from './cli-helpers.js';

const tmp = tempDir('wtm-cli-limits-');
const cli = cliRunner(join(tmp, 'cache')).run;

describe('wasm-tracemalloc run --limit-leaks / --limit-memory', () => {
  // leak_cli.wasm keeps 1000 × 100 B = 100,000 B at leak_cli.c:17 and exits 0.
  it('passes within the limit, saying so, with the program exit status', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '--limit-leaks', '100KB', '--limit-memory', '1MiB']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
    expect(r.stderr).toContain('\nwasm-tracemalloc: within limit: --limit-leaks 100 KiB: 97.7 KiB left allocated at exit\n');
    expect(r.stderr).toContain('\nwasm-tracemalloc: within limit: --limit-memory 1024 KiB: 97.7 KiB allocated at the peak\n');
  });

  it('exits 23 with the report when a limit is exceeded', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '--limit-leaks', '50KB']);
    expect(r.status).toBe(23);
    expect(r.stdout).toBe('done\n');
    expect(r.stderr).toContain(`\n#1: ${srcPath('leak_cli.c')}:17: size=97.7 KiB, count=1000, average=100 B\n`);
    expect(r.stderr).toContain('\nwasm-tracemalloc: limit exceeded: --limit-leaks 50.0 KiB: 97.7 KiB left allocated at exit\n');
    expect(cli(['run', buildPath('leak_cli.wasm'), '--limit-memory', '99999']).status).toBe(23);
  });

  it("keeps the program's own failure status when it fails and a limit is exceeded", () => {
    // leak.wasm frees everything, peaks at 233 KiB and exits 3.
    const r = cli(['run', buildPath('leak.wasm'), '--limit-memory', '100KiB', '--limit-leaks', '0']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('\nwasm-tracemalloc: limit exceeded: --limit-memory 100 KiB: 233 KiB allocated at the peak\n');
    expect(r.stderr).toContain('\nwasm-tracemalloc: within limit: --limit-leaks 0 B: 0 B left allocated at exit\n');
  });

  it('refuses a size it cannot read', () => {
    expect(cli(['run', buildPath('leak_cli.wasm'), '--limit-leaks', '1 parsec'])).toMatchObject({
      status: 2,
      stderr: 'wasm-tracemalloc run: --limit-leaks "1 parsec" is not a size: write a number and a unit (B, KB, MB, GB, TB; KiB, MiB, GiB, TiB are the same powers of 1024), such as "24 MB"\n',
      stdout: '',
    });
  });
});

describe('wasm-tracemalloc run --report json', () => {
  it('writes the totals, the top sites with tracebacks and the limits as JSON', () => {
    const file = join(tmp, 'report.json');
    const r = cli(['run', buildPath('leak_cli.wasm'), '--report', 'json', '--report-file', file, '--limit-leaks', '50KB', '--nframe', '3']);
    expect(r.status).toBe(23);
    expect(r.stderr).toContain(`wasm-tracemalloc: report written to ${file}\n`);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    expect(report).toMatchObject({ format: 'wasm-tracemalloc-report', version: 1, exitCode: 0, peakBytes: 100_000, currentBytes: 100_000, blocks: 1000, key: 'traceback', limitsExceeded: true });
    expect(report.limits).toEqual([{ limit: 'leaks', max: 51_200, actual: 100_000, exceeded: true }]);
    expect(report.sites).toHaveLength(1);
    expect(report.sites[0].size).toBe(100_000);
    expect(report.sites[0].count).toBe(1000);
    // Most recent first: malloc's caller leak() at line 17, then main.
    expect(report.sites[0].traceback[0]).toMatchObject({ filename: srcPath('leak_cli.c'), lineno: 17, source: 'blocks[i] = malloc(BLOCK_SIZE); /* SITE leak */' });
    expect(report.sites[0].traceback[1]).toMatchObject({ filename: srcPath('leak_cli.c'), lineno: 24 });
    expect(report.sites[0].traceback).toHaveLength(3);
    expect(report.sites[0].totalNframe).toBe(4); // crt1's _start, main, leak, then malloc's site: cut to --nframe 3
  });

  it('prints one JSON document on stderr without --report-file', () => {
    const r = cli(['run', buildPath('leak_cli.wasm'), '--report', 'json']);
    expect(r.status).toBe(0);
    const json = r.stderr.trimEnd().split('\n').at(-1)!;
    expect(JSON.parse(json)).toMatchObject({ currentBytes: 100_000, blocks: 1000, limits: [], limitsExceeded: false });
  });
});

describe('wasm-tracemalloc node --limit-leaks', () => {
  it('exits 23 when the program exits 0 leaking more than the limit; one block is "1 block"', () => {
    const script = join(tmp, 'one-block.mjs');
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
const { instance } = await WebAssembly.instantiate(readFileSync(${JSON.stringify(buildPath('lib_rs.wasm'))}));
console.log('blocks', instance.exports.alloc_blocks(1, 64));
`,
    );
    const over = cli(['node', '--symbols', 'none', '--limit-leaks', '32', script]);
    expect(over.stdout).toBe('blocks 1\n');
    expect(over.status).toBe(23);
    expect(over.stderr).toMatch(/^wasm-tracemalloc: peak 64 B, current 64 B in 1 block/m);
    expect(over.stderr).toContain('\nTotal allocated size: 64 B in 1 block\n');
    expect(over.stderr).toContain('\nwasm-tracemalloc: limit exceeded: --limit-leaks 32 B: 64 B left allocated at exit\n');
    const within = cli(['node', '--symbols', 'none', '--limit-leaks', '64', script]);
    expect(within.status).toBe(0);
    const file = join(tmp, 'node-report.json');
    const json = cli(['node', '--symbols', 'none', '--limit-memory', '63', '--report', 'json', '--report-file', file, script]);
    expect(json.status).toBe(23);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    expect(report).toMatchObject({ exitCode: 0, peakBytes: 64, currentBytes: 64, blocks: 1, limits: [{ limit: 'memory', max: 63, actual: 64, exceeded: true }], limitsExceeded: true });
    expect(report.sites[0]).toMatchObject({ size: 64, count: 1 });
    expect(report.sites[0].traceback[0].filename).toBe('lib_rs.wasm');
    expect(report.sites[0].traceback[0].function).toMatch(/^_ZN6lib_rs11alloc_block/);
  });
});
