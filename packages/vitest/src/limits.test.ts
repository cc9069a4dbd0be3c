// The limits against real C, Rust and AssemblyScript modules, built from
// ../test-programs and traced by the same hook the setup file installs.

import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { beforeAll, describe, expect, it } from 'vitest';
import { limitLeaks, limitMemory, withLimits, WasmMemoryLimitError, type WasmMemoryUsage } from './limits.js';
import { buildProgram, lineOf, PROGRAMS, type Program } from './programs.test-helper.js';
import { traceWasm } from './trace-wasm.js';
import { getSamplingIntervalBytes, getTracebackLimit, getTracedMemory, isTracing, start, stop } from '@wasm-tracemalloc/runtime';

traceWasm();

interface LeakProgram {
  leak(n: number, size: number): void;
  release(): void;
  __collect?(): void;
}

async function load(program: Program): Promise<LeakProgram> {
  const wasi = new WASI({ version: 'preview1' });
  const imports = { wasi_snapshot_preview1: wasi.wasiImport, env: { abort: () => { throw new Error('AssemblyScript abort'); } } };
  // Read from its file, as a program under test does: frames and { module } use the file's name.
  const { instance } = await WebAssembly.instantiate(readFileSync(buildProgram(program)), imports as WebAssembly.Imports);
  if (program === 'c') wasi.initialize(instance);
  return instance.exports as unknown as LeakProgram;
}

/** The message a block's limit failed with (the test fails if it did not). */
async function failure(block: Promise<unknown>): Promise<string> {
  const error = await block.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WasmMemoryLimitError);
  return (error as WasmMemoryLimitError).message;
}

const programs: Record<Program, LeakProgram> = {} as Record<Program, LeakProgram>;
beforeAll(async () => {
  for (const p of ['c', 'rust', 'as'] as const) programs[p] = await load(p);
});

/** Frees what leak() kept and, in AssemblyScript, collects the garbage, so that nothing is left. */
function releaseAll(p: LeakProgram): void {
  p.release();
  p.__collect?.();
}

const LEAK_C = `${PROGRAMS}leak.c`;
const LEAK_RS = `${PROGRAMS}leak.rs`;

// What 1000 blocks of 100 B leaked by leak() look like in each language: the
// allocation site line and the traceback that reaches it.
const LEAK_SITES: Record<Program, string[]> = {
  c: [`#1: ${LEAK_C}:${lineOf('leak.c', 'SITE leak')}: size=97.7 KiB, count=1000, average=100 B`, `  File "${LEAK_C}", line ${lineOf('leak.c', 'SITE leak')}`, '    char *block = malloc(size); // SITE leak'],
  rust: [
    `  File "${LEAK_RS}", line ${lineOf('leak.rs', 'Box::into_raw(keep(')}`,
    '    let block = Box::into_raw(keep(size as usize, i as u8 | 1));',
    `  File "${LEAK_RS}", line ${lineOf('leak.rs', 'SITE keep')}`,
    '    vec![fill; size].into_boxed_slice() // SITE keep',
  ],
  as: [
    '#1: ~lib/arraybuffer.ts:53: size=97.7 KiB, count=1000, average=100 B',
    `  File "leak_as.ts", line ${lineOf('leak_as.ts', 'SITE leak')}`,
    '    kept[nkept++] = new ArrayBuffer(size); // SITE leak',
    '  File "~lib/arraybuffer.ts", line 53',
    '    let buffer = changetype<ArrayBuffer>(__new(<usize>length, idof<ArrayBuffer>()));',
  ],
};

describe.each(['c', 'rust', 'as'] as const)('%s module', (name) => {
  it('limitLeaks fails a block that leaves 1000 blocks of 100 B, naming their allocation site', async () => {
    const p = programs[name];
    const message = await failure(limitLeaks('1 KB', () => p.leak(1000, 100)));
    releaseAll(p);
    const lines = message.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Wasm leak limit exceeded: 97.7 KiB (100000 B) in 1000 blocks still allocated at the end, limit 1 KB (1024 B)',
      'Allocated in the block and still live at its end:',
      'Top 1 tracebacks',
    ]);
    expect(lines[3]).toMatch(/^#1: .*: size=97\.7 KiB, count=1000, average=100 B$/);
    const sites = LEAK_SITES[name];
    const at = lines.indexOf(sites[0]!);
    expect(at).toBeGreaterThanOrEqual(3);
    expect(lines.slice(at, at + sites.length)).toEqual(sites);
  });

  it('limitLeaks passes a block that frees what it allocates, and measured every block', async () => {
    const p = programs[name];
    const usage = await limitLeaks(0, () => {
      p.leak(1000, 100);
      releaseAll(p);
    });
    expect(usage.leakedBytes).toBe(0);
    expect(usage.leakedBlocks).toBe(0);
    expect(usage.peakBytes).toBe(100_000);
  });

  it('limitMemory holds the peak to its limit, inclusive', async () => {
    const p = programs[name];
    const churn = () => {
      p.leak(1000, 100);
      releaseAll(p);
    };
    expect((await limitMemory(100_000, churn)).peakBytes).toBe(100_000);
    expect(await failure(limitMemory('97 KB', churn))).toBe(
      'Wasm memory limit exceeded: peak 97.7 KiB (100000 B), limit 97 KB (99328 B)\n' +
        'Every block allocated in the block was freed by its end; the sites that made the peak are not recorded.',
    );
  });
});

describe('limits', () => {
  it('limitMemory lists the blocks still live at the end when they made the peak', async () => {
    const c = programs.c;
    const message = await failure(limitMemory('64 KB', () => c.leak(1000, 100)));
    releaseAll(c);
    expect(message.split('\n').slice(0, 4)).toEqual([
      'Wasm memory limit exceeded: peak 97.7 KiB (100000 B), limit 64 KB (65536 B)',
      'Allocated in the block and still live at its end:',
      'Top 1 tracebacks',
      LEAK_SITES.c[0],
    ]);
  });

  it('limits one module by its file name or a glob, and names the traced ones for a wrong name', async () => {
    const { c, rust } = programs;
    const both = () => {
      c.leak(1000, 100);
      rust.leak(10, 64);
    };
    const rs = await limitLeaks('1 KB', both, { module: 'leak_rs.wasm' });
    expect([rs.leakedBytes, rs.leakedBlocks]).toEqual([640, 10]);
    releaseAll(c);
    releaseAll(rust);

    const message = await failure(limitLeaks('1 KB', both, { module: 'leak_c.wasm' }));
    expect(message.split('\n')[0]).toBe('Wasm leak limit exceeded in leak_c.wasm: 97.7 KiB (100000 B) in 1000 blocks still allocated at the end, limit 1 KB (1024 B)');
    expect(message).toContain(`\n${LEAK_SITES.c[0]}\n`);
    expect(message).not.toContain('leak.rs');
    releaseAll(c);
    releaseAll(rust);

    const all = await limitLeaks('1 MB', both, { module: 'leak_*.wasm' });
    expect([all.leakedBytes, all.leakedBlocks]).toEqual([100_640, 1010]);
    releaseAll(c);
    releaseAll(rust);

    await expect(limitLeaks('1 MB', () => c.leak(1, 1), { module: 'leak.wasm' })).rejects.toThrow(
      'no traced Wasm module is named "leak.wasm"; the traced modules are leak_as.wasm, leak_c.wasm, leak_rs.wasm: pass one of these names (or a glob) as { module }',
    );
    releaseAll(c);
  });

  it('withLimits reports both limits of a test in one failure', async () => {
    const as = programs.as;
    const message = await failure(withLimits({ leaks: '10 KB', memory: '50 KB' }, () => as.leak(1000, 100)));
    releaseAll(as);
    expect(message.split('\n').slice(0, 3)).toEqual([
      'Wasm memory limit exceeded: peak 97.7 KiB (100000 B), limit 50 KB (51200 B)',
      'Wasm leak limit exceeded: 97.7 KiB (100000 B) in 1000 blocks still allocated at the end, limit 10 KB (10240 B)',
      'Allocated in the block and still live at its end:',
    ]);
    expect(message).toContain(LEAK_SITES.as.join('\n'));
  });

  it('the failure carries what was measured', async () => {
    const c = programs.c;
    const error = await limitLeaks(0, () => c.leak(3, 40)).catch((e: WasmMemoryLimitError) => e);
    releaseAll(c);
    const usage = (error as WasmMemoryLimitError).usage as WasmMemoryUsage;
    expect([usage.leakedBytes, usage.leakedBlocks, usage.peakBytes, usage.leaked.length]).toEqual([120, 3, 120, 3]);
  });

  it('top limits the sites listed and sums the rest', async () => {
    const c = programs.c;
    const rust = programs.rust;
    const message = await failure(limitLeaks(0, () => { c.leak(2, 1000); rust.leak(3, 10); }, { top: 1 }));
    releaseAll(c);
    releaseAll(rust);
    const lines = message.split('\n');
    expect(lines[2]).toBe('Top 1 tracebacks');
    expect(lines[3]).toBe(`#1: ${LEAK_C}:${lineOf('leak.c', 'SITE leak')}: size=2000 B, count=2, average=1000 B`);
    expect(lines.at(-1)).toBe('1 other: size=30 B, count=3');
  });

  it('refuses bad limits and nested blocks with one line, before running the block', async () => {
    let ran = false;
    const block = () => {
      ran = true;
    };
    await expect(limitLeaks('24 XB', block)).rejects.toThrow('leak limit "24 XB" is not a size: write a number and a unit (B, KB, MB, GB, TB; KiB, MiB, GiB, TiB are the same powers of 1024), such as "24 MB"');
    await expect(withLimits({ memory: '1 MB', module: 'leak_c.wasm' }, block)).rejects.toThrow(
      'a memory (peak) limit cannot be set for one module ("leak_c.wasm"): the trace table keeps one peak for all modules; limit the peak of all modules, or limit this module\'s leaks',
    );
    await expect(withLimits({}, block)).rejects.toThrow("withLimits: give { leaks } or { memory } (or both), such as { leaks: '1 MB' }");
    expect(ran).toBe(false);
    await expect(limitLeaks('1 MB', () => limitLeaks('1 MB', block))).rejects.toThrow(
      'a Wasm memory limit is already measuring another block (nested limits, or concurrent tests): each block is traced from an empty trace table, so measure one at a time',
    );
  });
});

describe('tracing started elsewhere', () => {
  it('a limit measures its block exactly and then tracing goes on as it was started', async () => {
    const c = programs.c;
    start(4, { samplingIntervalBytes: 4096 }); // as the Vite plugin's page does in browser mode, sampled here
    try {
      c.leak(10, 100);
      const usage = await limitLeaks('1 MB', () => c.leak(7, 30));
      expect([usage.leakedBytes, usage.leakedBlocks, usage.peakBytes]).toEqual([210, 7, 210]);
      expect([isTracing(), getTracebackLimit(), getSamplingIntervalBytes(), getTracedMemory()]).toEqual([true, 4, 4096, [0, 0]]);
    } finally {
      stop();
      releaseAll(c);
    }
  });
});

describe('matchers', () => {
  it('toLeakAtMost and toPeakAtMost pass and fail as the limits do', async () => {
    const rust = programs.rust;
    await expect(() => {
      rust.leak(100, 100);
      rust.release();
    }).toLeakAtMost('1 KB');
    await expect(() => rust.leak(100, 100)).not.toLeakAtMost(0);
    rust.release();
    await expect(() => rust.leak(100, 100)).toPeakAtMost('10000 B');
    rust.release();

    const failed = await expect(() => rust.leak(100, 100)).toLeakAtMost('1 KB').then(() => undefined, (e: Error) => e.message);
    rust.release();
    expect(failed).toContain('Wasm leak limit exceeded: 10000 B in 100 blocks still allocated at the end, limit 1 KB (1024 B)');
    expect(failed).toContain(LEAK_SITES.rust.join('\n'));

    const notFailed = await expect(() => rust.release()).not.toLeakAtMost(0).then(() => undefined, (e: Error) => e.message);
    expect(notFailed).toBe('toLeakAtMost: expected the block to exceed 0, but it had 0 B in 0 blocks left allocated');
    let ran = false;
    await expect(expect(() => { ran = true; }).toLeakAtMost('24 XB')).rejects.toThrow('leak limit "24 XB" is not a size');
    expect(ran).toBe(false);
    await expect(expect(42).toLeakAtMost('1 KB')).rejects.toThrow("toLeakAtMost: expect() must receive the block to measure as a function, such as expect(() => exports.work()).toLeakAtMost('1 MB'); got number");
  });
});
