// Domain ids are finite (issue 15, defect 11): a frame packs (domain << 20) | site, so
// there are 4095 ids. Ids of collected instances are reused once no live trace refers
// to them; an instance that finds none free runs untraced, with one warning. Never
// may an instance's blocks be reported under another module's name.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tm from 'wasm-tracemalloc';
import { buildPath } from './fixtures/facts.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage and lets the FinalizationRegistry callbacks run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const MAX_DOMAIN_ID = 4095;
const wasi = new Proxy({}, { get: () => () => 0 }) as WebAssembly.ModuleImports;
type Fn = (...a: number[]) => number;

let leakModule: WebAssembly.Module;
let objectsModule: WebAssembly.Module;
let holderModule: WebAssembly.Module;
const holderSource = fileURLToPath(new URL('./domains/holder.c', import.meta.url));

beforeAll(async () => {
  const instrument = (file: string, bytes: Uint8Array) => WebAssembly.compile(tm.instrument(bytes, { source: file }).bytes as Uint8Array<ArrayBuffer>);
  leakModule = await instrument('leak.wasm', readFileSync(buildPath('leak.reactor.wasm')));
  objectsModule = await instrument('objects.wasm', readFileSync(buildPath('objects.reactor.wasm')));
  const out = join(mkdtempSync(join(tmpdir(), 'wtm-domains-')), 'holder.wasm');
  execFileSync('clang-19', ['--target=wasm32', '-nostdlib', '-O2', '-g', '-Wl,--no-entry', '-Wl,--import-memory', holderSource, '-o', out]);
  holderModule = await instrument('holder.wasm', readFileSync(out));
  tm.start(16);
});
afterAll(() => tm.stop());

async function leakInstance() {
  const traced = await tm.instantiateTraced(leakModule, { wasi_snapshot_preview1: wasi }, { name: 'leak.wasm' });
  const e = traced.instance.exports as unknown as Record<string, Fn>;
  e._initialize!();
  return { ...traced, e };
}

/** The live blocks at leak.c:61 (leak_nodes' malloc), by the module name of their domain. */
function leakNodesByModule(): Map<string, { count: number; size: number }> {
  const snapshot = tm.takeSnapshot();
  const names = new Map(tm.getDomains().map((d) => [d.id, d.name]));
  const out = new Map<string, { count: number; size: number }>();
  for (const trace of snapshot.traces) {
    const frame = trace.traceback.frames.at(-1)!;
    if (!frame.filename.endsWith('leak.c') || frame.lineno !== 61) continue;
    const name = names.get(trace.domain) ?? `<domain ${trace.domain}>`;
    const s = out.get(name) ?? { count: 0, size: 0 };
    s.count++;
    s.size += trace.size;
    out.set(name, s);
  }
  return out;
}

describe('domain ids past 4095 instances', () => {
  it('reuses the ids of collected instances: the 5,000th leak.wasm reports its 1,000 blocks at leak.c:61 under its own name', async () => {
    const objects = await tm.instantiateTraced(objectsModule, { wasi_snapshot_preview1: wasi }, { name: 'objects.wasm' });
    (objects.instance.exports as unknown as Record<string, Fn>)._initialize!();
    expect(objects.domain).toBe(1);
    const ids = new Set<number>();
    for (let i = 1; i < 5000; i++) {
      const { e, domain } = await leakInstance();
      ids.add(domain);
      e.phase_leak_nodes!();
      e.phase_release_all!(); // no live trace names it once it is gone
      if (i % 500 === 0) await collect();
    }
    await collect();
    const last = await leakInstance();
    last.e.phase_leak_nodes!();
    expect(last.name).toBe('leak.wasm#5000');
    expect(last.domain).toBeGreaterThan(1);
    expect(last.domain).toBeLessThanOrEqual(MAX_DOMAIN_ID);
    expect(ids.has(0)).toBe(false); // every one was traced
    expect(ids.size).toBeLessThanOrEqual(MAX_DOMAIN_ID - 1);
    expect(leakNodesByModule()).toEqual(new Map([['leak.wasm#5000', { count: 1000, size: 100_000 }]]));
    const [top] = tm.takeSnapshot().statistics('lineno');
    expect([top!.traceback.frames.at(-1)!.filename.endsWith('leak.c'), top!.traceback.frames.at(-1)!.lineno, top!.count, top!.size]).toEqual([true, 61, 1000, 100_000]);
    expect(tm.getDomains().find((d) => d.id === 1)!.name).toBe('objects.wasm');
    last.e.phase_release_all!();
    void objects;
  }, 120_000);

  it('runs an instance untraced, and warns once, while every id is held; traces again once ids are free', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const memory = new WebAssembly.Memory({ initial: 2 });
    let held: Array<{ instance: WebAssembly.Instance; domain: number }> = [];
    let refused: { e: Record<string, Fn>; domain: number; name: string } | undefined;
    for (let i = 0; i <= MAX_DOMAIN_ID && !refused; i++) {
      const t = await tm.instantiateTraced(holderModule, { env: { memory } }, { name: 'holder.wasm' });
      if (t.domain !== 0) held.push(t);
      else refused = { e: t.instance.exports as unknown as Record<string, Fn>, domain: t.domain, name: t.name };
    }
    expect(refused).toBeDefined();
    expect(new Set(held.map((h) => h.domain)).size).toBe(held.length);
    expect(held.length).toBeLessThanOrEqual(MAX_DOMAIN_ID);
    expect(held.length).toBeGreaterThanOrEqual(MAX_DOMAIN_ID - 3); // the first test's instances may not be collected yet
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/^wasm-tracemalloc: holder\.wasm#\d+ runs untraced, .* 4095 instances of traced modules are alive .* Drop the references to instances you no longer use/);

    // The refused instance works, and nothing it allocates is traced.
    const traces = tm.getTracerStats().traces;
    expect(refused!.e.hold!(40)).toBeGreaterThan(0);
    expect(tm.getTracerStats().traces).toBe(traces);
    // A leak.wasm refused too runs all its phases (no second warning).
    const untraced = await leakInstance();
    expect(untraced.domain).toBe(0);
    untraced.e.phase_leak_nodes!();
    expect(untraced.e.live_blocks!()).toBe(1000);
    expect(leakNodesByModule()).toEqual(new Map());
    expect(warn).toHaveBeenCalledTimes(1);

    held = [];
    await collect();
    const traced = await leakInstance();
    expect(traced.domain).toBeGreaterThan(0);
    traced.e.phase_leak_nodes!();
    expect(leakNodesByModule()).toEqual(new Map([[traced.name, { count: 1000, size: 100_000 }]]));
    warn.mockRestore();
  }, 120_000);

  it('reuses ids the same way for instances that unmodified glue makes through the installed hook', async () => {
    const uninstall = tm.install();
    try {
      const memory = new WebAssembly.Memory({ initial: 2 });
      const traces = tm.getTracerStats().traces;
      let last: WebAssembly.Instance | undefined;
      for (let i = 1; i <= MAX_DOMAIN_ID + 500; i++) {
        last = new WebAssembly.Instance(holderModule, { env: { memory } }); // synchronous, as glue does
        if (i % 500 === 0) await collect();
      }
      // The last one is traced (an id was free for it) and its exports are guarded entries.
      expect((last!.exports as unknown as Record<string, Fn>).hold!(40)).toBeGreaterThan(0);
      expect(tm.getTracerStats().traces).toBe(traces + 1);
      const [stat] = tm.takeSnapshot().filterTraces([new tm.Filter(true, '*holder.c')]).statistics('lineno');
      expect([stat!.count, stat!.size, stat!.traceback.frames.at(-1)!.lineno]).toEqual([1, 40, lineOfHolder('/* held */')]);
    } finally {
      uninstall();
    }
  }, 120_000);
});

function lineOfHolder(text: string): number {
  const lines = readFileSync(holderSource, 'utf8').split('\n');
  return lines.findIndex((l) => l.includes(text)) + 1;
}
