// Engine independence: the shadow stack is kept by the instrumented code itself, so
// tracebacks must come out the same on every engine. The scenarios of
// engines/scenarios.ts (deep chains, start(nframe) changed between calls, a function
// pointer, a JS exception through Wasm frames, C++ exceptions, a longjmp, a Rust
// generic, AssemblyScript's GC runtime) run on C, C++ and Rust programs built here
// from test/deep and on the AssemblyScript fixture, served by a Vite dev server with
// the plugin (which instruments them), in Node (V8, through wasm-tracemalloc), in
// Chromium (V8), in Firefox (SpiderMonkey) and in WebKitGTK (JavaScriptCore, Safari's
// engine; driven over WebDriver, as puppeteer does not drive WebKit). Each engine
// must give the exact known tracebacks, and all must give the same results. In each
// browser, a module worker traced by the plugin runs chain.rs too, and the plugin's
// live page takes a snapshot of the page's tab over the dev server's WebSocket (and,
// once the page stopped tracing, says why it cannot).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tm from 'wasm-tracemalloc';
import { BROWSERS, liveState, loadStoredSnapshot, startDevServer, type Browser } from '../packages/vite-plugin/harness/e2e.mjs';
import wasmTracemalloc from '../packages/vite-plugin/dist/node/index.js';
import { hasWebKit, webKitSession } from './webkit-session.js';
import { clang, clangxx, lineOf, rustc } from './deep/toolchain.js';
import { runScenarios, statsOf, type Results, type Stat } from './engines/scenarios.js';
import type { Snapshot } from '@wasm-tracemalloc/runtime/model';
import type { MemorySample, TabInfo } from '../packages/vite-plugin/dist/protocol.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'test-output/engines-app');
const AS_FIXTURE = join(ROOT, 'test/fixtures/build/leak_as.debug.wasm');

function makeApp(): void {
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(join(APP, 'public'), { recursive: true });
  mkdirSync(join(APP, 'node_modules/@wasm-tracemalloc'), { recursive: true });
  symlinkSync(join(ROOT, 'packages/runtime'), join(APP, 'node_modules/@wasm-tracemalloc/runtime'));
  writeFileSync(join(APP, 'public/deep.wasm'), clang('deep.wasm', ['-mexec-model=reactor', 'deep.c']));
  writeFileSync(join(APP, 'public/chain_cpp.wasm'), clangxx('chain_cpp.wasm', ['-fwasm-exceptions', 'chain.cpp', 'wasm_eh_runtime.cpp']));
  writeFileSync(join(APP, 'public/jump.wasm'), clang('jump.wasm', ['-mllvm', '-wasm-enable-sjlj', 'jump.c', 'wasm_sjlj_runtime.c']));
  writeFileSync(join(APP, 'public/chain_rs.wasm'), rustc('chain_rs.wasm', ['chain.rs']));
  if (!existsSync(AS_FIXTURE)) {
    const r = spawnSync('bash', [join(ROOT, 'test/fixtures/build.sh')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`test/fixtures/build.sh failed:\n${r.stderr}`);
  }
  copyFileSync(AS_FIXTURE, join(APP, 'public/leak_as.wasm'));
  copyFileSync(fileURLToPath(new URL('./engines/scenarios.ts', import.meta.url)), join(APP, 'scenarios.ts'));
  // A module worker the dev server traces on its own (the plugin's worker entry).
  writeFileSync(
    join(APP, 'worker.js'),
    `import * as api from '@wasm-tracemalloc/runtime';
import { statsOf } from './scenarios.ts';
try {
  const { instance } = await WebAssembly.instantiateStreaming(fetch('/chain_rs.wasm'), {});
  instance.exports.run(3);
  postMessage({ stats: statsOf(api.takeSnapshot()) });
} catch (e) {
  postMessage({ error: String(e?.stack ?? e) });
}
`,
  );
  writeFileSync(
    join(APP, 'index.html'),
    `<!doctype html><title>engines</title>
<script>
window.pageErrors = [];
addEventListener('error', (e) => pageErrors.push(String(e.error?.stack ?? e.message)));
addEventListener('unhandledrejection', (e) => pageErrors.push(String(e.reason?.stack ?? e.reason)));
</script>
<script type="module" src="/main.js"></script>
`,
  );
  writeFileSync(
    join(APP, 'main.js'),
    `import * as api from '@wasm-tracemalloc/runtime';
import { runScenarios } from './scenarios.ts';
window.stopTracing = () => api.stop();
try {
  window.result = await runScenarios(api, async (name, imports) => (await WebAssembly.instantiateStreaming(fetch('/' + name), imports)).instance, { stopAtEnd: false });
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'rust' });
  const reply = await new Promise((resolve, reject) => {
    worker.addEventListener('message', (e) => resolve(e.data));
    worker.addEventListener('error', (e) => reject(new Error('the worker did not load: ' + (e.message || 'no message'))));
  });
  if (reply.error) throw new Error('in the worker: ' + reply.error);
  window.workerStats = reply.stats;
} catch (e) {
  window.pageErrors.push(String(e?.stack ?? e));
}
document.body.dataset.done = 'true';
`,
  );
}

let dev: Awaited<ReturnType<typeof startDevServer>>;
let node: Results;

beforeAll(async () => {
  makeApp();
  dev = await startDevServer(APP, { configFile: false, cacheDir: join(APP, '.vite'), plugins: [wasmTracemalloc()] });
  // Node runs the bytes the dev server sends, as the browsers do.
  const served = async (name: string) => new Uint8Array(await (await fetch(new URL(name, dev.url))).arrayBuffer());
  const names = ['deep.wasm', 'chain_cpp.wasm', 'jump.wasm', 'leak_as.wasm', 'chain_rs.wasm'] as const;
  const bytes = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await served(n)] as const)));
  node = await runScenarios(tm, async (name, imports) => (await tm.instantiateTraced(bytes[name]!, imports, { name })).instance);
}, 120_000);

afterAll(async () => {
  await dev?.close();
});

const deep = (fn: string, text: string) => `${fn}@deep.c:${lineOf('deep.c', text)}`;
const cpp = (fn: string, text: string) => `${fn}@chain.cpp:${lineOf('chain.cpp', text)}`;
const jmp = (fn: string, text: string) => `${fn}@jump.c:${lineOf('jump.c', text)}`;

/** A row as `COUNT × SIZE B (TOTAL_NFRAME): frame > frame > …`, oldest frame first. */
const row = (s: Stat) => `${s.count} × ${s.size / s.count} B (${s.totalNframe}): ${s.frames.join(' > ')}`;
const rows = (stats: Stat[]) => stats.map(row).sort();

/** The rows of a WASI command, under wasi-libc's two start-up frames (checked here, then left out). */
function commandRows(stats: Stat[], name: string): string[] {
  for (const s of stats) {
    expect(s.frames[0]).toMatch(new RegExp(`^${name.replace('.', '\\.')}:_start\\.command_export\\+0x[0-9a-f]+$`));
    expect(s.frames[1]).toBe('_start@libc-bottom-half/crt/crt1-command.c:12');
  }
  return rows(stats.map((s) => ({ ...s, totalNframe: s.totalNframe - 2, frames: s.frames.slice(2) })));
}

/** The exact tracebacks every engine must give (the same facts as deep-stacks and exact-stacks, in Node). */
function expectKnownTracebacks(r: Results): void {
  const nodeNew = deep('node_new', 'struct node *n = malloc(sizeof *n);');
  const index = [deep('run_index', 'keep = build_index(n);'), deep('build_index', 'head = node_new(head);'), nodeNew];
  expect(rows(r.index)).toEqual([`5 × 44 B (3): ${index.join(' > ')}`]);
  // start(2) on the same instrumented module: the 2 most recent frames, all 3 counted.
  expect(rows(r.indexAt2)).toEqual([`3 × 44 B (3): ${index.slice(1).join(' > ')}`]);
  expect(r.pointer.map((s) => [s.count, s.size, s.totalNframe, s.frames.length, s.frames[1]])).toEqual([[3, 132, 2, 2, nodeNew]]);
  expect(r.pointer[0]!.frames[0]).toMatch(/^deep\.wasm:node_new \(indirect call\)\+0x[0-9a-f]+$/);
  // recurse(200) … recurse(0) under run_recurse: the most recent 128 of 202 frames.
  expect(rows(r.recurse)).toEqual([`1 × 8 B (202): ${[...Array(127).fill(deep('recurse', 'int r = recurse(depth - 1);')), deep('recurse', 'leaf = malloc(8);')].join(' > ')}`]);
  // After the JS exception unwound run_throw and through_js, the next chain is exact again.
  expect(r.thrown).toBe('thrown from JS (1)');
  expect(rows(r.afterThrow)).toEqual([
    `2 × 44 B (3): ${index.join(' > ')}`,
    `2 × 44 B (3): ${[deep('run_throw', 'through_js(n);'), deep('through_js', 'keep = node_new(keep);'), nodeNew].join(' > ')}`,
  ]);

  // chain.cpp: throws, catches, a rethrow and a throw out of operator new.
  expect([r.cpp.status, r.cpp.stdout]).toEqual([111, 'tree 50, scratch 8, errors 2\n']);
  const make = cpp('Pool<Node>::make(int)', 'T *object = new T(key);');
  const main = (text: string) => cpp('main', text);
  const descend = (levels: number) => [
    cpp('parse_all(int)', 'descend(3, kind);'),
    ...Array(levels).fill(cpp('descend(int, int)', 'descend(depth - 1, kind);')),
    cpp('descend(int, int)', 'scratch.make(depth);'),
    make,
  ];
  const chain = (frames: string[]) => `1 × 64 B (${frames.length}): ${frames.join(' > ')}`;
  expect(commandRows(r.cpp.stats, 'chain_cpp.wasm')).toEqual(
    [
      `50 × 64 B (3): ${[main('build_tree(TREE_SIZE);'), cpp('build_tree(int)', 'tree.make(i);'), make].join(' > ')}`,
      ...[0, 1, 2, 3].map((n) => chain([main('int status = parse_all(7);'), ...descend(n)])),
      chain([main('int status = parse_all(7);'), cpp('parse_all(int)', 'record_error(e);'), cpp('record_error(ParseError const&)', 'errors.make(e.depth);'), make]),
      ...[0, 1, 2, 3].map((n) => chain([main('parse_all(-1);'), ...descend(n)])),
      chain([main('after_catch();'), cpp('after_catch()', 'errors.make(-1);'), make]),
    ].sort(),
  );

  // jump.c: a longjmp from descend(0) back to parse, three calls up.
  expect([r.jump.status, r.jump.stdout]).toEqual([6, 'parse returned 42, 6 tokens\n']);
  const token = jmp('token_new', 'struct token *t = malloc(sizeof *t);');
  const parse = jmp('main', 'int code = parse(3);');
  const jumpChain = (frames: string[]) => `1 × 24 B (${frames.length}): ${frames.join(' > ')}`;
  expect(commandRows(r.jump.stats, 'jump.wasm')).toEqual(
    [
      ...[0, 1, 2, 3].map((n) => jumpChain([parse, jmp('parse', 'descend(depth);'), ...Array(n).fill(jmp('descend', 'descend(depth - 1);')), jmp('descend', 'token_new(depth);'), token])),
      jumpChain([parse, jmp('parse', 'recover(code);'), jmp('recover', 'token_new(-code);'), token]),
      jumpChain([jmp('main', 'int n = summary();'), jmp('summary', 'token_new(100)'), token]),
    ].sort(),
  );

  // leak_as.ts (no DWARF: offset frames, named by the name section): the start
  // function's `kept` (its Array object and 8-slot store), leakBuffers(10)'s ten
  // ArrayBuffers of 100 B, and the store push() grew to 16 slots (the old one is
  // garbage the GC has not collected yet).
  const asFrame = (f: string) => f.replace(/^leak_as\.wasm:(.*)\+0x[0-9a-f]+$/, '$1');
  const array = '~lib/array/Array<~lib/arraybuffer/ArrayBuffer>';
  expect(rows(r.assemblyscript.map((s) => ({ ...s, frames: s.frames.map(asFrame) })))).toEqual(
    [
      `1 × 16 B (3): ~start > start:leak_as > ${array}#constructor`,
      `1 × 32 B (3): ~start > start:leak_as > ${array}#constructor`,
      `1 × 64 B (3): leak_as/leakBuffers > ${array}#push > ~lib/array/ensureCapacity`,
      '10 × 100 B (2): leak_as/leakBuffers > ~lib/arraybuffer/ArrayBuffer#constructor',
    ].sort(),
  );

  // chain.rs: run → build_index → Pool<Node>::make, then Box::new's inlined std frames.
  const rs = (fn: string, text: string) => `${fn}@chain.rs:${lineOf('chain.rs', text)}`;
  const nodes = r.rust.find((s) => s.count === 7)!;
  expect([nodes.size, nodes.totalNframe]).toEqual([7 * 32, 8]);
  expect(nodes.frames.slice(0, 3)).toEqual([
    rs('run', 'build_index(&mut pool, count);'),
    rs('chain::build_index', 'pool.make(Node { key, payload: [key as u8; 28] });'),
    rs('chain::Pool<T>::make', 'let object = Box::into_raw(Box::new(value));'),
  ]);
  expect(nodes.frames.at(-1)).toMatch(/^alloc::alloc::alloc@\S+\/alloc\.rs:\d+$/);
}

/** What a page reports once main.js is done (or failed). */
interface PageOutcome {
  userAgent: string;
  result?: Results;
  /** The worker's statistics('traceback') after its run(3) of chain_rs.wasm. */
  worker?: Stat[];
  /** A scenario's exception, or errors the page caught (index.html's listeners). */
  errors: string[];
}

// Run in the page once main.js is done: what it reports.
const REPORT = 'return { userAgent: navigator.userAgent, result: window.result, worker: window.workerStats, errors: window.pageErrors };';
const LIVE_PAGE = '__wasm-tracemalloc/live/';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const state = () => liveState(dev.url);

/** Polls the dev server's state until `found` returns something. */
async function poll<T>(what: string, found: (s: Awaited<ReturnType<typeof state>>) => T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = found(await state());
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await state())}`);
    await sleep(50);
  }
}

/** The live-page round trip, for the tab the engine's page opened (none of `before`). */
interface LiveCheck {
  tab: TabInfo;
  snapshot: Snapshot;
  /** What the live page showed when asked for a snapshot after the page stopped tracing. */
  problem: string;
  /** The tab's latest sample once it stopped tracing. */
  stopped: MemorySample;
}

/** The tab's first sample with nothing traced (after stop()). */
const stoppedSample = (tab: TabInfo) =>
  poll('a sample of 0 B after stop()', (s) => {
    const last = s.tabs.find((t) => t.id === tab.id)?.last;
    return last && last.current === 0 && last.traces === 0 ? last : undefined;
  });

// The live page's message when a tab cannot take a snapshot, and the poll that reads it.
const PROBLEM = 'engines: no snapshot: the tracemalloc module must be tracing memory allocations to take a snapshot; call start() first';
const READ_PROBLEM = "return document.querySelector('.problems .problem')?.textContent ?? undefined;";

/** The tab the engine's page opened, once it has its five traced modules. */
const newTab = (before: Set<string>) => poll('the page\'s tab', (s) => s.tabs.find((t) => !before.has(t.id) && t.kind === 'page' && t.modules.length === 5));

/** The snapshot of `tab` stored after the live page asked for it, loaded with the model. */
async function storedSnapshot(tab: TabInfo, count: number): Promise<Snapshot> {
  const info = await poll('the live snapshot', (s) => (s.snapshots.length > count ? s.snapshots.at(-1) : undefined));
  expect(info.tab).toBe(tab.id);
  expect(typeof info.cause).toBe('number'); // a live page's request, not app code
  return loadStoredSnapshot(dev.url, info);
}

/** Opens the app in a puppeteer browser, waits for its outcome, then takes a snapshot of its tab from the live page. */
async function inPuppeteer(browser: Browser): Promise<PageOutcome & LiveCheck> {
  const before = new Set((await state()).tabs.map((t) => t.id));
  const page = await browser.newPage();
  try {
    await page.goto(dev.url);
    await page.waitForSelector('body[data-done]', { timeout: 60_000 });
    const outcome = (await page.evaluate(`(() => { ${REPORT} })()`)) as PageOutcome;
    const tab = await newTab(before);
    const live = await browser.newPage();
    await live.goto(new URL(LIVE_PAGE, dev.url).href);
    // The live page draws its tabs once its WebSocket has the server's state.
    const button = `.tab[data-tab="${tab.id}"] .take-snapshot:not([disabled])`;
    await live.waitForSelector(button);
    const count = (await state()).snapshots.length;
    await live.click(button);
    const snapshot = await storedSnapshot(tab, count);
    // Once the page has stopped tracing, asking again gets the reason, not silence.
    await page.evaluate('window.stopTracing()');
    await live.bringToFront();
    await live.click(button);
    const problem = String(await (await live.waitForFunction(`(() => { ${READ_PROBLEM} })()`, { timeout: 20_000 })).jsonValue());
    const stopped = await stoppedSample(tab);
    await live.close();
    return { ...outcome, tab, snapshot, problem, stopped };
  } finally {
    await page.close();
  }
}

describe('the same tracebacks on every engine', () => {
  it('Node (V8): the exact known tracebacks', () => {
    expectKnownTracebacks(node);
  });

  function expectSameAsNode(outcome: PageOutcome & LiveCheck, userAgent: RegExp): void {
    expect(outcome.userAgent).toMatch(userAgent);
    expect(outcome.errors).toEqual([]);
    expectKnownTracebacks(outcome.result!);
    expect(outcome.result).toEqual(node);
    // The live page's snapshot of the tab (live page → dev server → the page → back)
    // holds what the page's own last snapshot held: chain.rs's live blocks.
    expect([...outcome.tab.modules].sort()).toEqual(['chain_cpp.wasm', 'chain_rs.wasm', 'deep.wasm', 'jump.wasm', 'leak_as.wasm']);
    expect(statsOf(outcome.snapshot)).toEqual(outcome.result!.rust);
    expect(outcome.problem).toBe(PROBLEM);
    // …and its live memory reads 0 B, as getTracedMemory() does after stop().
    expect(outcome.stopped).toMatchObject({ current: 0, peak: 0, traces: 0 });
    // The worker, traced on its own (its own tab and table): what the page's run(7)
    // left, with 3 nodes instead of 7, at the same chain.rs frames.
    const bySize = (stats: Stat[]) => [...stats].sort((a, b) => a.size - b.size);
    expect(bySize(outcome.worker!)).toEqual(bySize(outcome.result!.rust.map((s) => (s.count === 7 ? { ...s, count: 3, size: 3 * 32 } : s))));
  }

  for (const engine of BROWSERS) {
    describe.skipIf(!existsSync(engine.executable))(`${engine.name} (${engine.engine})`, () => {
      let browser: Browser;
      beforeAll(async () => {
        browser = await engine.launch();
      }, 60_000);
      afterAll(async () => {
        await browser?.close();
      });

      it('the exact known tracebacks, the same results as Node, and the same from the live page', async () => {
        expectSameAsNode(await inPuppeteer(browser), engine.userAgent);
      }, 120_000);
    });
  }

  describe.skipIf(!hasWebKit())('WebKitGTK (JavaScriptCore, Safari\'s engine)', () => {
    const webkit = webKitSession();

    it('the exact known tracebacks, the same results as Node, and the same from the live page', async () => {
      const before = new Set((await state()).tabs.map((t) => t.id));
      await webkit().goto(dev.url);
      const appWindow = await webkit().window();
      const outcome = await webkit().until<PageOutcome>(`if (!document.body?.dataset.done) return; ${REPORT}`, { timeoutMs: 60_000 });
      const tab = await newTab(before);
      await webkit().openWindow(new URL(LIVE_PAGE, dev.url).href);
      const count = (await state()).snapshots.length;
      const takeSnapshot = `const b = document.querySelector('.tab[data-tab="${tab.id}"] .take-snapshot'); if (!b || b.disabled) return; b.click(); return true;`;
      await webkit().until(takeSnapshot);
      const snapshot = await storedSnapshot(tab, count);
      const liveWindow = await webkit().window();
      await webkit().switchTo(appWindow);
      await webkit().until('window.stopTracing(); return true;');
      await webkit().switchTo(liveWindow);
      await webkit().until(takeSnapshot);
      const problem = await webkit().until<string>(READ_PROBLEM);
      const stopped = await stoppedSample(tab);
      // WebKitGTK's user agent names Safari's WebKit, not Chrome.
      expectSameAsNode({ ...outcome, tab, snapshot, problem, stopped }, /AppleWebKit\/[\d.]+ \(KHTML, like Gecko\) Version\/[\d.]+ Safari\//);
    }, 120_000);
  });
});
