// The test fixtures themselves, un-instrumented: they build, run, export and import
// what the tracing tests rely on, and facts.ts matches what they really allocate.
// Nothing here touches wasm-tracemalloc's own code.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUILDS,
  FIXTURES_DIR,
  RUNTIME_ALLOCS,
  SITES,
  STEPS,
  buildPath,
  demangleRust,
  functionIn,
  sitesOf,
  srcPath,
  stepsOf,
  type BuildFact,
  type Step,
} from './fixtures/facts.js';
import { readWasmInfo, type WasmInfo } from './fixtures/wasm-info.js';
import { groupLive, replay, runLogged, type LogEvent } from './fixtures/alloc-log.mjs';

beforeAll(() => {
  // Idempotent and fast when the fixtures are up to date (setup.sh has already run it).
  try {
    execFileSync('bash', [join(FIXTURES_DIR, 'build.sh')], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`test/fixtures/build.sh failed:\n${err.stderr?.toString() ?? err.message}`);
  }
}, 300_000);

const bytesOf = (file: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(buildPath(file)));
const infoCache = new Map<string, WasmInfo>();
const infoOf = (file: string): WasmInfo => {
  let info = infoCache.get(file);
  if (!info) infoCache.set(file, (info = readWasmInfo(bytesOf(file))));
  return info;
};
const nameSet = (file: string): Set<string> => new Set(infoOf(file).functionNames.values());

/** Every function name facts.ts mentions for one build (exact name-section names). */
function namedFunctions(b: BuildFact): string[] {
  const names = new Set<string>(b.allocators.map((a) => a.name));
  for (const s of SITES.filter((x) => x.builds.includes(b.file))) {
    names.add(functionIn(s, b.file));
    names.add(s.allocatorIn?.[b.file] ?? s.allocator);
  }
  for (const s of STEPS.filter((x) => x.builds.includes(b.file))) {
    for (const f of s.freesBy ?? []) {
      names.add(functionIn(f, b.file));
      names.add(f.allocator);
    }
  }
  for (const r of RUNTIME_ALLOCS.filter((x) => x.builds.includes(b.file))) names.add(functionIn(r, b.file));
  for (const l of b.liveAtExit ?? []) {
    names.add(functionIn(l, b.file));
    names.add(l.allocator);
  }
  return [...names];
}

interface RunResult {
  exitCode?: number;
  stdout: string;
  stderr: string;
  results: unknown[];
}

/** Resolve a step's arguments against the results of earlier steps. */
function argsOf(step: Step, labels: string[], results: unknown[]): number[] {
  return (step.args ?? []).map((a) => (typeof a === 'number' ? a : (results[labels.indexOf(a.resultOf)] as number)));
}

/** Run a build un-instrumented, the way its facts say. */
function runBuild(b: BuildFact): RunResult {
  const module = new WebAssembly.Module(bytesOf(b.file));
  const dir = mkdtempSync(join(tmpdir(), 'fixture-'));
  const outPath = join(dir, 'stdout');
  const errPath = join(dir, 'stderr');
  const out = openSync(outPath, 'w+');
  const err = openSync(errPath, 'w+');
  const results: unknown[] = [];
  const labels: string[] = [];
  let exitCode: number | undefined;
  try {
    let instance: WebAssembly.Instance;
    const steps = (b.steps ?? []).filter((s) => s.export !== '' && s.export !== '_initialize');
    if (b.run === 'wasi-command' || b.run === 'wasi-reactor') {
      const wasi = new WASI({ version: 'preview1', args: [b.file], env: {}, returnOnExit: true, stdout: out, stderr: err });
      instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
      if (b.run === 'wasi-command') {
        exitCode = wasi.start(instance);
      } else {
        wasi.initialize(instance);
      }
    } else if (b.run === 'plain') {
      instance = new WebAssembly.Instance(module, {});
    } else {
      instance = new WebAssembly.Instance(module, {
        env: {
          abort: (_msg: number, _file: number, line: number, col: number) => {
            throw new Error(`${b.file}: abort at ${line}:${col}`);
          },
        },
      });
    }
    for (const s of steps) {
      const fn = instance.exports[s.export];
      if (typeof fn !== 'function') throw new Error(`${b.file}: no exported function ${s.export}`);
      results.push((fn as (...a: number[]) => unknown)(...argsOf(s, labels, results)));
      labels.push(s.label);
    }
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const res = { exitCode, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8'), results };
  rmSync(dir, { recursive: true, force: true });
  return Object.assign(res, { labels });
}

describe('fixtures: build output', () => {
  it('build.sh produced every build listed in facts.ts, newer than its source', () => {
    for (const b of BUILDS) {
      const p = buildPath(b.file);
      expect(existsSync(p), p).toBe(true);
      expect(statSync(p).mtimeMs, `${b.file} older than ${b.source}`).toBeGreaterThanOrEqual(statSync(srcPath(b.source)).mtimeMs);
    }
  });

  it('a second build.sh run is a no-op', () => {
    const before = BUILDS.map((b) => statSync(buildPath(b.file)).mtimeMs);
    execFileSync('bash', [join(FIXTURES_DIR, 'build.sh')], { stdio: 'pipe' });
    expect(BUILDS.map((b) => statSync(buildPath(b.file)).mtimeMs)).toEqual(before);
  });
});

describe.each(BUILDS.map((b) => [b.file, b] as const))('fixture %s', (file, b) => {
  it('is valid Wasm and our reader agrees with WebAssembly.Module', () => {
    const bytes = bytesOf(file);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const m = new WebAssembly.Module(bytes);
    const info = infoOf(file);
    expect(info.imports.map((i) => `${i.module}.${i.name}:${i.kind}`)).toEqual(
      WebAssembly.Module.imports(m).map((i) => `${i.module}.${i.name}:${i.kind}`),
    );
    expect(info.exports.map((e) => `${e.name}:${e.kind}`)).toEqual(WebAssembly.Module.exports(m).map((e) => `${e.name}:${e.kind}`));
    expect(info.customSections.includes('name')).toBe(WebAssembly.Module.customSections(m, 'name').length > 0);
  });

  it('imports exactly what facts.ts says', () => {
    expect(infoOf(file).imports.map((i) => `${i.module}.${i.name}`)).toEqual(b.imports);
    expect(infoOf(file).imports.every((i) => i.kind === 'function')).toBe(true);
  });

  it('exports what the tests rely on', () => {
    const exports = new Map(infoOf(file).exports.map((e) => [e.name, e.kind]));
    for (const name of b.exports) {
      expect(exports.has(name), `${file} exports ${name}`).toBe(true);
      const kind = name === 'memory' ? 'memory' : name === '__rtti_base' ? 'global' : 'function';
      expect(exports.get(name), name).toBe(kind);
    }
    if (b.run === 'wasi-command') expect(exports.has('_initialize')).toBe(false);
    if (b.run === 'wasi-reactor') expect(exports.has('_start')).toBe(false);
  });

  it(`has ${b.nameSection ? 'a' : 'no'} name section and ${b.dwarf ? '' : 'no '}DWARF`, () => {
    const info = infoOf(file);
    expect(info.customSections.includes('name')).toBe(b.nameSection);
    expect(info.functionNames.size > 0).toBe(b.nameSection);
    expect(info.customSections.includes('.debug_info')).toBe(b.dwarf);
    expect(info.customSections.includes('.debug_line')).toBe(b.dwarf);
  });

  it.runIf(b.nameSection)('names every function facts.ts mentions in its name section', () => {
    const names = nameSet(file);
    for (const n of namedFunctions(b)) expect(names.has(n), `${file}: no function named ${JSON.stringify(n)}`).toBe(true);
  });

  it('runs un-instrumented as facts.ts says', () => {
    const r = runBuild(b);
    expect(r.stderr).toBe('');
    if (b.run === 'wasi-command') {
      expect(r.exitCode).toBe(b.exitCode);
      expect(r.stdout).toBe(b.stdout);
    } else {
      expect(r.stdout).toBe('');
    }
    const steps = (b.steps ?? []).filter((s) => s.export !== '' && s.export !== '_initialize');
    steps.forEach((s, i) => {
      if (s.returns !== undefined) expect(r.results[i], `${s.label} returns`).toBe(s.returns);
    });
  });
});

describe('fixtures: facts.ts is consistent', () => {
  it('every site points at a line of our source tagged SITE', () => {
    for (const s of SITES) {
      const lines = readFileSync(srcPath(s.source.file), 'utf8').split('\n');
      expect(lines[s.source.line - 1] ?? '', `${s.source.file}:${s.source.line}`).toContain('SITE');
      expect(s.total).toBe(s.size * s.count);
    }
  });

  it('line-table locations in library headers exist on this machine', () => {
    for (const s of SITES) {
      if (!s.lineTable || !s.lineTable.file.startsWith('/usr/include/')) continue;
      const lines = readFileSync(s.lineTable.file, 'utf8').split('\n');
      expect(lines[s.lineTable.line - 1], `${s.lineTable.file}:${s.lineTable.line}`).toContain('operator_new');
    }
  });

  it('Rust names demangle to the facts\' paths', () => {
    expect(demangleRust('_ZN7leak_rs10leak_boxes17hcf43e7f4f0ca77b4E')).toBe('leak_rs::leak_boxes');
    expect(demangleRust('_ZN5alloc7raw_vec11finish_grow17h1dca93577eb608a3E.llvm.14866878828741223298')).toBe('alloc::raw_vec::finish_grow');
    expect(demangleRust('malloc')).toBe('malloc');
    for (const list of [SITES, RUNTIME_ALLOCS]) {
      for (const s of list) {
        for (const raw of Object.values(s.functionIn ?? {})) {
          if (raw.startsWith('_ZN')) expect(demangleRust(raw)).toBe(s.function);
        }
      }
    }
  });

  it('every step and site refers to a step of its builds', () => {
    for (const s of [...SITES, ...STEPS]) {
      for (const f of s.builds) {
        const b = BUILDS.find((x) => x.file === f);
        expect(b, f).toBeDefined();
        const labels = b!.steps?.map((x) => x.label) ?? ['main'];
        expect(labels, `${f}: ${s.phase}`).toContain(s.phase);
      }
    }
  });
});

// ---------------------------------------------------------------------------------
// facts.ts against an independent allocation log (alloc-log.mjs, binaryen.js): the
// numbers in facts.ts are what the built modules really do.

const logged = BUILDS.filter((b) => b.allocators.length > 0);

describe.each(logged.map((b) => [b.file, b] as const))('facts match the allocation log of %s', (file, b) => {
  let log: Awaited<ReturnType<typeof runLogged>>;
  let rep: ReturnType<typeof replay>;
  const asMode = b.run === 'assemblyscript';
  const steps = (b.steps ?? []).filter((s) => s.export !== '' && s.export !== '_initialize');
  const labels = steps.map((s) => s.label);
  const mainPhase = b.run === 'wasi-command' ? '_start' : undefined;

  beforeAll(async () => {
    const mode = ({ 'wasi-command': 'command', 'wasi-reactor': 'reactor', plain: 'plain', assemblyscript: 'as' } as const)[b.run];
    const calls = steps.map((s) => ({ export: s.export, phase: s.label, args: (results: unknown[]) => argsOf(s, labels, results) }));
    log = await runLogged(bytesOf(file), b.allocators, mode, calls);
    rep = replay(log.events, { asObjects: asMode }, log.marks);
  }, 120_000);

  it('the logged run behaves like the plain one', () => {
    if (b.run === 'wasi-command') {
      expect(log.exitCode).toBe(b.exitCode);
      expect(log.stdout).toBe(b.stdout);
    }
    steps.forEach((s, i) => {
      if (s.returns !== undefined) expect(log.results[i], s.label).toBe(s.returns);
    });
  });

  it.runIf(b.totals !== undefined)('whole-run totals and live-at-exit', () => {
    const c = { ...rep.byPhase.get('_start') };
    expect(c).toEqual(b.totals);
    const live = groupLive(rep.liveAfter.get('_start')!);
    expect(live.map((g) => ({ caller: g.caller, fn: g.fn, size: g.size, count: g.count })).sort(byKey)).toEqual(
      (b.liveAtExit ?? []).map((l) => ({ caller: functionIn(l, file), fn: l.allocator, size: l.size, count: l.count })).sort(byKey),
    );
  });

  it.runIf(stepsOf(file).length > 0)('per-step counters and frees', () => {
    for (const s of stepsOf(file)) {
      const c = rep.byPhase.get(s.phase);
      expect(c, s.phase).toBeDefined();
      const { fixture: _f, builds: _b, phase: _p, freesBy, note: _n, ...want } = s;
      expect({ ...c }, `${file} ${s.phase}`).toEqual(want);
      const frees = new Map<string, number>();
      for (const ev of log.events as LogEvent[]) {
        if (ev.phase !== s.phase || ev.op !== 'free' || (ev.depth > 0 && !(asMode && ev.kind === 'as_free'))) continue;
        const k = `${ev.caller}\0${ev.fn}`;
        frees.set(k, (frees.get(k) ?? 0) + 1);
      }
      expect(Object.fromEntries(frees), `${file} ${s.phase} frees`).toEqual(
        Object.fromEntries((freesBy ?? []).map((f) => [`${functionIn(f, file)}\0${f.allocator}`, f.count])),
      );
    }
  });

  it.runIf(sitesOf(file).length > 0)('per-site calls and live blocks at the end of each step', () => {
    for (const s of sitesOf(file)) {
      const phase = s.phase === 'main' ? mainPhase! : s.phase;
      const fn = functionIn(s, file);
      const allocator = s.allocatorIn?.[file] ?? s.allocator;
      const calls = log.events.filter(
        (ev) => ev.phase === phase && ev.depth === 0 && ev.op !== 'free' && ev.caller === fn && ev.fn === allocator && ev.size === s.size,
      ).length;
      expect(calls, `${file} ${phase} ${fn} ${allocator} size ${s.size}: calls`).toBe(s.calls);
      const live = [...rep.liveAfter.get(phase)!.values()].filter((x) => x.caller === fn && x.fn === allocator && x.size === s.size);
      expect(live.length, `${file} ${phase} ${fn} ${allocator} size ${s.size}: live`).toBe(s.count);
    }
  });

  it.runIf(b.steps !== undefined)('every block a step leaves behind is in facts.ts', () => {
    for (const [phase, live] of rep.liveAfter) {
      for (const g of groupLive(live, (x) => x.phase === phase)) {
        const fact = sitesOf(file, phase).find((s) => functionIn(s, file) === g.caller && (s.allocatorIn?.[file] ?? s.allocator) === g.fn && s.size === g.size);
        expect(fact, `${file} ${phase}: ${g.count} x ${g.size} B from ${g.caller} via ${g.fn} missing in facts.ts`).toBeDefined();
      }
    }
  });

  it.runIf(RUNTIME_ALLOCS.some((r) => r.builds.includes(file)))('runtime allocations', () => {
    for (const r of RUNTIME_ALLOCS.filter((x) => x.builds.includes(file))) {
      const n = log.events.filter((ev) => ev.depth === 0 && ev.op === 'alloc' && ev.caller === functionIn(r, file) && ev.fn === r.allocator && ev.size === r.size).length;
      expect(n, `${r.function} ${r.size} B`).toBe(r.count);
    }
  });
});

function byKey(a: { caller: string; fn: string; size: number }, b: { caller: string; fn: string; size: number }): number {
  return `${a.caller}\0${a.fn}\0${a.size}`.localeCompare(`${b.caller}\0${b.fn}\0${b.size}`);
}
