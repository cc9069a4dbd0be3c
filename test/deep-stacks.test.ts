// Deep tracebacks from the shadow stack (instrument with maxFrames > 1), on a C
// program built from source here: exact call paths, recursion deeper than the ring,
// nframe changed without re-instrumenting, and a JS exception unwinding Wasm frames.

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tm from 'wasm-tracemalloc';

const source = fileURLToPath(new URL('./deep/deep.c', import.meta.url));
let original: Uint8Array<ArrayBuffer>;
let traced: Uint8Array;

beforeAll(() => {
  const out = join(mkdtempSync(join(tmpdir(), 'wtm-deep-')), 'deep.wasm');
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', '-mexec-model=reactor', source, '-o', out]);
  original = readFileSync(out);
  traced = tm.instrument(original, { source: 'deep.wasm', maxFrames: 128 }).bytes;
});

type Fn = (...a: number[]) => number;
const env = { may_throw: (n: number) => { if (n) throw new Error(`thrown from JS (${n})`); } };

async function load() {
  const { instance, name } = await tm.instantiateTraced(traced, { env, wasi_snapshot_preview1: wasiStub() }, { name: 'deep.wasm' });
  const e = instance.exports as unknown as Record<string, Fn>;
  e._initialize?.();
  return { e, name };
}

/** wasi-libc's reactor start-up calls nothing here but needs the imports to exist. */
function wasiStub(): Record<string, () => number> {
  return new Proxy({}, { get: () => () => 0 }) as Record<string, () => number>;
}

const functions = (tb: tm.Traceback) => tb.frames.map((f) => f.function);

describe('deep tracebacks (shadow stack)', () => {
  beforeEach(() => tm.stop());

  it('shows the exact call path, oldest first, and keeps what start(nframe) asks for', async () => {
    tm.start(10);
    const { e } = await load();
    expect(e.run_index!(5)).toBe(1);
    const [stat] = tm.takeSnapshot().statistics('traceback');
    expect([stat!.size, stat!.count]).toEqual([5 * 44, 5]);
    expect(functions(stat!.traceback)).toEqual(['run_index', 'build_index', 'node_new']);
    expect(stat!.traceback.totalNframe).toBe(3);

    // nframe changes between start() calls, with the same instrumented module.
    tm.stop();
    tm.start(2);
    e.run_index!(3);
    const [two] = tm.takeSnapshot().statistics('traceback');
    expect(functions(two!.traceback)).toEqual(['build_index', 'node_new']);
    expect(two!.traceback.totalNframe).toBe(3);
    tm.stop();
    tm.start(1);
    e.run_index!(1);
    const [one] = tm.takeSnapshot().statistics('traceback');
    expect(functions(one!.traceback)).toEqual(['node_new']);
  });

  it('shows calls through function pointers as "(indirect call)" frames', async () => {
    tm.start(10);
    const { e } = await load();
    expect(e.run_pointer!(3)).toBe(1);
    const [stat] = tm.takeSnapshot().statistics('traceback');
    expect(functions(stat!.traceback)).toEqual(['node_new (indirect call)', 'node_new']);
    expect([stat!.size, stat!.count]).toEqual([3 * 44, 3]);
  });

  it('keeps the most recent 128 frames of a deeper recursion and counts them all', async () => {
    tm.start(128);
    const { e } = await load();
    expect(e.run_recurse!(200)).toBeGreaterThan(0);
    const [stat] = tm.takeSnapshot().statistics('traceback');
    const tb = stat!.traceback;
    expect(tb.totalNframe).toBe(1 + 201); // run_recurse, then recurse(200) … recurse(0)
    expect(tb.frames.length).toBe(128);
    expect(new Set(functions(tb))).toEqual(new Set(['recurse']));
    expect([stat!.size, stat!.count]).toEqual([8, 1]);
  });

  it('is exact again after a JS exception unwinds through Wasm frames', async () => {
    tm.start(10);
    const { e } = await load();
    expect(() => e.run_throw!(1)).toThrow('thrown from JS (1)');
    tm.clearTraces();
    e.run_index!(2);
    const [stat] = tm.takeSnapshot().statistics('traceback');
    expect(functions(stat!.traceback)).toEqual(['run_index', 'build_index', 'node_new']);
    expect(stat!.traceback.totalNframe).toBe(3);
    e.run_throw!(0);
    const byFunction = tm.takeSnapshot().statistics('traceback').map((s) => functions(s.traceback).join(' > '));
    expect(byFunction).toContain('run_throw > through_js > node_new');
  });

  it('behaves like the original module', async () => {
    tm.start(5);
    const { e } = await load();
    const plain = (await WebAssembly.instantiate(original, { env, wasi_snapshot_preview1: wasiStub() })).instance.exports as unknown as Record<string, Fn>;
    plain._initialize?.();
    for (const d of [0, 3, 50]) expect(e.run_recurse!(d)).toBe(plain.run_recurse!(d));
    expect(e.run_index!(4)).toBe(plain.run_index!(4));
    expect(() => plain.run_throw!(7)).toThrow('thrown from JS (7)');
    expect(() => e.run_throw!(7)).toThrow('thrown from JS (7)');
  });
});
