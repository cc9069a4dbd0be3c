// Threaded programs (issue 18): an Emscripten -pthread program whose blocks are
// allocated on one thread and freed or resized on another (test/threads/src/handoff.c),
// a threaded churn for the bench, and a wasi-threads program (@node-rs/argon2-wasm32-wasi).
// First the programs themselves, untraced: what they print is the ground truth the
// traced runs are held to. Then the same programs under `wasm-tracemalloc node`.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliRunner, tempDir } from './cli-helpers.js';
import {
  ARGON2_DRIVER,
  BUILD_SCRIPT,
  CHURN_MT,
  EMSCRIPTEN_NODE_OPTIONS,
  HANDOFF,
  HANDOFF_BUILDS,
  HANDOFF_LIVE,
  HANDOFF_LIVE_BLOCKS,
  HANDOFF_LIVE_BYTES,
  HANDOFF_RUNTIME_LIVE,
  HANDOFF_SRC,
  HANDOFF_STDOUT,
  THREADS_DIR,
  handoffLine,
  siteLines,
  type HandoffSite,
} from './threads/facts.js';

beforeAll(() => {
  // Idempotent and fast when the programs are up to date (setup.sh has already run it).
  try {
    execFileSync('bash', [BUILD_SCRIPT], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`test/threads/build.sh failed:\n${err.stderr?.toString() ?? err.message}`);
  }
}, 300_000);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// The Emscripten glue reads NODE_OPTIONS in every worker too; nothing of the test
// runner's own options may leak into the programs.
const programEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...process.env, NODE_OPTIONS: EMSCRIPTEN_NODE_OPTIONS, ...extra });

function runNode(args: string[], env: NodeJS.ProcessEnv = programEnv()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `count` runs, `parallel` at a time (the machine has two cores). */
async function runs<T>(count: number, parallel: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += parallel) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, k) => one(i + k)))));
  }
  return out;
}

const RUNS = 20;

describe('threaded test programs, untraced', () => {
  it('handoff.c tags each site once, on the line of its call', () => {
    const calls: Record<HandoffSite, RegExp> = {
      'a-malloc': /= malloc\(A_SIZE\);/,
      'b-free-a': /free\(from_a\[i\]\);/,
      'b-free-main': /free\(from_main\[i\]\);/,
      'b-realloc': /realloc\(p, B_REALLOC_SIZE\);/,
      'w-malloc': /= malloc\(W_SIZE\);/,
      'main-handoff-malloc': /= malloc\(MAIN_HANDOFF_SIZE\);/,
      'main-malloc': /= malloc\(MAIN_LEAK_SIZE\);/,
    };
    const src = readFileSync(HANDOFF_SRC, 'utf8').split('\n');
    expect([...siteLines(HANDOFF_SRC).keys()].sort()).toEqual(Object.keys(calls).sort());
    for (const [site, call] of Object.entries(calls)) expect(src[handoffLine(site as HandoffSite) - 1]).toMatch(call);
    // The truth the traced runs are held to: 500 x 64 + 50 x 256 + 10 x 32.
    expect(HANDOFF_LIVE_BYTES).toBe(45_120);
    expect(HANDOFF_LIVE_BLOCKS).toBe(560);
    expect(HANDOFF.aBlocks - HANDOFF.bFrees).toBe(HANDOFF.bKeep);
  });

  it('the builds: -O1 -g has DWARF lines and names, -O2 neither; both share env.memory and export malloc and free', () => {
    const info = (js: string) => {
      const m = new WebAssembly.Module(readFileSync(js.replace(/\.js$/, '.wasm')));
      return {
        memory: WebAssembly.Module.imports(m).filter((i) => i.kind === 'memory').map((i) => `${i.module}.${i.name}`),
        exports: ['malloc', 'free', 'emscripten_builtin_memalign'].filter((n) => WebAssembly.Module.exports(m).some((e) => e.name === n)),
        names: WebAssembly.Module.customSections(m, 'name').length > 0,
        dwarf: WebAssembly.Module.customSections(m, '.debug_line').length > 0,
      };
    };
    const shared = { memory: ['env.memory'], exports: ['malloc', 'free', 'emscripten_builtin_memalign'] };
    expect(info(HANDOFF_BUILDS.debug)).toEqual({ ...shared, names: true, dwarf: true });
    expect(info(HANDOFF_BUILDS.release)).toEqual({ ...shared, names: false, dwarf: false });
    expect(info(CHURN_MT)).toEqual({ ...shared, names: true, dwarf: false });
    // The worker script and the CommonJS marker (test/package.json says "type": "module").
    expect(readFileSync(HANDOFF_BUILDS.release.replace(/\.js$/, '.worker.js'), 'utf8')).toContain('e.data.cmd==="load"');
    expect(JSON.parse(readFileSync(join(THREADS_DIR, 'build', 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });

  // The -O2 build 20 times (the traced runs are held to it), the -O1 -g one a few.
  for (const [build, count] of [['release', RUNS], ['debug', 4]] as const) {
    it(`handoff (${build}) prints the same exact line and exits 0 in ${count} consecutive runs`, async () => {
      const results = await runs(count, 2, () => runNode([HANDOFF_BUILDS[build]]));
      for (const r of results) expect(r).toEqual({ status: 0, stdout: HANDOFF_STDOUT, stderr: '' });
    });
  }

  it('churn-mt runs THREADS x ITERS pairs and reports each thread; run-churn.mjs prints {threads, pairs, ms}', async () => {
    const r = await runNode([CHURN_MT, '3', '2000']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^thread 0: 2000 pairs in \d+\.\d ms\nthread 1: 2000 pairs in \d+\.\d ms\nthread 2: 2000 pairs in \d+\.\d ms\ntotal: 3 threads, 6000 pairs in \d+\.\d ms\n$/);
    const j = await runNode([join(THREADS_DIR, 'run-churn.mjs'), '2', '5000'], process.env);
    expect(j.status).toBe(0);
    const json = JSON.parse(j.stdout) as { threads: number; pairs: number; ms: number };
    expect(json).toEqual({ threads: 2, pairs: 10_000, ms: expect.any(Number) });
    expect(json.ms).toBeGreaterThan(0);
    const bad = await runNode([CHURN_MT, '9']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('usage: churn-mt [THREADS (1-8) [ITERS]]\n');
  });

  it('the argon2 driver (wasi-threads) prints its exact line, twice at once', async () => {
    const both = await Promise.all([runNode([ARGON2_DRIVER], process.env), runNode([ARGON2_DRIVER], process.env)]);
    for (const r of both) {
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(ARGON2_STDOUT);
    }
  });
});

/** What the driver prints with its defaults (8 hashes): the hash is argon2id's for this password, salt and cost. */
const ARGON2_STDOUT =
  'argon2: 8 async hashes, 8 verified, 0 wrong passwords accepted, sync hash equal; ' +
  '$argon2id$v=19$m=1024,t=2,p=1$d2FzbS10cmFjZW1hbGxvYw$UYJ0HbYCtuv3imd6/uIiqHcnP/XGglQPoS9vousxvJ4; sha256 1ac478810627cea3\n';

// --- Traced ------------------------------------------------------------------------

interface Frame {
  filename: string;
  lineno: number;
  function?: string;
}
interface Site {
  size: number;
  count: number;
  traceback: Frame[];
}
interface Report {
  exitCode: number;
  currentBytes: number;
  blocks: number;
  doubleFrees?: number;
  untracedFrees?: number;
  lostTraces?: number;
  sites: Site[];
  otherSites: number;
  threads?: { thread: number; size: number; count: number; sites: Site[] }[];
}

const tmp = tempDir('wtm-threads-');
const cliEnv = cliRunner(join(tmp, 'cache')).env;
let reportSeq = 0;

/** `wasm-tracemalloc node --key lineno --report json` on a script: the program's run and the report. */
async function traced(script: string, extra: string[] = []): Promise<{ run: Run; report: Report }> {
  const file = join(tmp, `report-${reportSeq++}.json`);
  const run = await runNode([CLI, 'node', '--key', 'lineno', '--top', '100', '--report', 'json', '--report-file', file, ...extra, script], {
    ...cliEnv,
    NODE_OPTIONS: EMSCRIPTEN_NODE_OPTIONS,
  });
  let report: Report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  } catch {
    throw new Error(`no report from the traced run (exit ${run.status}):\n${run.stderr}`);
  }
  return { run, report };
}

/** Live bytes and blocks by allocation size, over all sites: what a build without line info still tells. */
function bySize(sites: Site[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of sites) out[s.size / s.count] = (out[s.size / s.count] ?? 0) + s.count;
  return out;
}

const EXPECTED_BY_SIZE: Record<number, number> = {};
for (const s of [...HANDOFF_LIVE, ...HANDOFF_RUNTIME_LIVE]) EXPECTED_BY_SIZE[s.size] = (EXPECTED_BY_SIZE[s.size] ?? 0) + s.count;
/** The program's 45,120 B in 560 blocks and the Emscripten runtime's main-thread TLS block. */
const TOTAL_BYTES = HANDOFF_LIVE_BYTES + HANDOFF_RUNTIME_LIVE.reduce((n, s) => n + s.size * s.count, 0);
const TOTAL_BLOCKS = HANDOFF_LIVE_BLOCKS + HANDOFF_RUNTIME_LIVE.reduce((n, s) => n + s.count, 0);

/** Every line site live at exit in the -O1 -g build, as (file, line, size, count), largest first. */
const EXPECTED_LINES = [
  ...HANDOFF_LIVE.map((s) => ({ filename: HANDOFF_SRC, lineno: handoffLine(s.site), size: s.size * s.count, count: s.count })),
  ...HANDOFF_RUNTIME_LIVE.map((s) => ({ filename: s.file, lineno: s.line, size: s.size * s.count, count: s.count })),
].sort((a, b) => b.size - a.size);

const lineSites = (sites: Site[]) => sites.map((s) => ({ filename: s.traceback[0]!.filename, lineno: s.traceback[0]!.lineno, size: s.size, count: s.count }));

/** The numbers a traced handoff run must give, every time. */
function expectExactHandoff(run: Run, report: Report, build: 'debug' | 'release'): void {
  expect(run.stdout).toBe(HANDOFF_STDOUT);
  expect(run.status).toBe(0);
  expect(run.stderr).not.toMatch(/untraced|Import #\d|LinkError/);
  expect(report).toMatchObject({ exitCode: 0, currentBytes: TOTAL_BYTES, blocks: TOTAL_BLOCKS, doubleFrees: 0, untracedFrees: 0, lostTraces: 0, otherSites: 0 });
  expect(bySize(report.sites)).toEqual(EXPECTED_BY_SIZE);
  if (build === 'debug') expect(lineSites(report.sites)).toEqual(EXPECTED_LINES);
}

// Exact only with one trace table for every thread, records ordered around the real
// calls, and argon2's aligned blocks traced (memalign found by structure).
describe('threaded programs under wasm-tracemalloc node', () => {
  for (const build of ['debug', 'release'] as const) {
    it(`handoff (${build}): exact leaks per site, 45,120 B of the program's, no untraced or double frees, the same in ${RUNS} runs`, async () => {
      const results = await runs(RUNS, 2, () => traced(HANDOFF_BUILDS[build]));
      for (const { run, report } of results) expectExactHandoff(run, report, build);
    });
  }

  it('handoff (debug): each thread holds its own leaks: W 500 x 64 B, B 50 x 256 B, main 10 x 32 B and its TLS block', async () => {
    const { run, report } = await traced(HANDOFF_BUILDS.debug);
    expectExactHandoff(run, report, 'debug');
    const threads = report.threads ?? [];
    const lines = (t: (typeof threads)[number]) => lineSites(t.sites).map((s) => `${s.filename}:${s.lineno} ${s.count} x ${s.size / s.count} B`);
    const at = (site: HandoffSite, count: number, size: number) => `${HANDOFF_SRC}:${handoffLine(site)} ${count} x ${size} B`;
    const tls = HANDOFF_RUNTIME_LIVE.map((s) => `${s.file}:${s.line} ${s.count} x ${s.size} B`);
    // A's blocks are all freed or moved by B's realloc: A holds nothing at exit.
    expect(threads.map((t) => ({ main: t.thread === 0, size: t.size, count: t.count, lines: lines(t) }))).toEqual([
      { main: false, size: 32_000, count: 500, lines: [at('w-malloc', 500, 64)] },
      { main: false, size: 12_800, count: 50, lines: [at('b-realloc', 50, 256)] },
      { main: true, size: 321, count: 11, lines: [at('main-malloc', 10, 32), ...tls] },
    ]);
  });

  it('argon2 (wasi-threads): the same output, no false double frees, no untraced frees, several threads', async () => {
    const { run, report } = await traced(ARGON2_DRIVER);
    expect(run.stdout).toBe(ARGON2_STDOUT);
    expect(run.status).toBe(0);
    expect(run.stderr).not.toMatch(/runs untraced|Import #\d|LinkError/);
    expect(report).toMatchObject({ exitCode: 0, doubleFrees: 0, untracedFrees: 0, lostTraces: 0 });
    // Its memory is shared: every thread traced into the one threaded table, so the report
    // has a by-thread section (workers hold blocks at exit only while their stacks live).
    expect(report.threads?.some((t) => t.thread === 0)).toBe(true);
  });
});
