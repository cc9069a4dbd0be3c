// The Vite plugin on a small app made here: a fixture module in public/ (a second copy
// excluded by the `exclude` option, a third under src/) and sql.js, a real Emscripten dependency whose
// glue fetches its .wasm from node_modules. Over HTTP: what the dev server sends
// for each kind of request, the on-disk cache across restarts, and the same-origin
// rule for /__wasm-tracemalloc/. In Chromium: the exact bytes leaked by the fixture,
// and sql.js's allocations traced through its own unmodified glue; and a stripped
// wasm-bindgen module (@oxc-parser/wasm) served from public/, away from its glue, which
// the app imports from node_modules: traced through the glue the dev server served.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launchChromium, startDevServer, type Browser, type Logger } from '../packages/vite-plugin/harness/e2e.mjs';
import wasmTracemalloc from '../packages/vite-plugin/dist/node/index.js';
import { formatSize } from '../packages/runtime/dist/model/index.js';
import { allocatorSummary, instrument } from '../packages/instrument/dist/index.js';
import { InstrumentCache } from '../packages/vite-plugin/dist/node/instrument-cache.js';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test/fixtures/build/leak.reactor.wasm');
const APP = join(ROOT, 'test-output/vite-plugin-app');
const OXC_APP = join(ROOT, 'test-output/vite-plugin-oxc-app');
const SITE_SECTION = 'wasm-tracemalloc.sites';
/** `add(a, b)` and nothing else: a module without an allocator, which the dev server sends as it is. */
const NO_ALLOCATOR = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
]);

/** The app: index.html + main.js, public/ Wasm, and node_modules links to sql.js and the runtime. */
function makeApp(): void {
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(join(APP, 'public/untraced'), { recursive: true });
  mkdirSync(join(APP, 'src'), { recursive: true });
  copyFileSync(FIXTURE, join(APP, 'src/leak.wasm'));
  mkdirSync(join(APP, 'node_modules/@wasm-tracemalloc'), { recursive: true });
  copyFileSync(FIXTURE, join(APP, 'public/leak.reactor.wasm'));
  copyFileSync(FIXTURE, join(APP, 'public/untraced/leak.reactor.wasm'));
  writeFileSync(join(APP, 'public/add.wasm'), NO_ALLOCATOR);
  symlinkSync(dirname(dirname(require.resolve('sql.js/dist/sql-wasm.js'))), join(APP, 'node_modules/sql.js'));
  symlinkSync(join(ROOT, 'packages/runtime'), join(APP, 'node_modules/@wasm-tracemalloc/runtime'));
  writeFileSync(join(APP, 'index.html'), '<!doctype html><title>plugin test app</title><script type="module" src="/main.js"></script>\n');
  // A page whose memory is known: leak.c's phase_leak_nodes keeps 1000 × 100 B, then
  // phase_churn allocates 500 blocks (138,800 B) and frees them all, between two samples.
  writeFileSync(join(APP, 'samples.html'), '<!doctype html><title>samples page</title><script type="module" src="/samples.js"></script>\n');
  writeFileSync(
    join(APP, 'samples.js'),
    `import { getSamplingIntervalBytes, getTracedMemory } from '@wasm-tracemalloc/runtime';
const module = await WebAssembly.compileStreaming(fetch('/leak.reactor.wasm'));
const imports = {};
for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
const instance = await WebAssembly.instantiate(module, imports);
instance.exports._initialize();
instance.exports.phase_leak_nodes();
instance.exports.phase_churn();
window.result = getTracedMemory();
window.sampling = getSamplingIntervalBytes();
document.body.dataset.done = 'true';
`,
  );
  writeFileSync(
    join(APP, 'main.js'),
    `import initSqlJs from 'sql.js/dist/sql-wasm-browser-debug.js';
import sqlWasmUrl from 'sql.js/dist/sql-wasm-browser-debug.wasm?url';
import { getDomains, getTracedMemory, takeSnapshot } from '@wasm-tracemalloc/runtime';

// WASI functions the C fixture imports but never calls in these phases.
const stubs = (module) => {
  const imports = {};
  for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
  return imports;
};
async function leak(url) {
  const module = await WebAssembly.compileStreaming(fetch(url));
  const instance = await WebAssembly.instantiate(module, stubs(module));
  instance.exports._initialize();
  const before = getTracedMemory()[0];
  instance.exports.phase_leak_nodes();
  return getTracedMemory()[0] - before;
}

const result = {};
result.publicLeak = await leak('/leak.reactor.wasm');
const snap = takeSnapshot();
result.publicTop = String(snap.statistics('lineno')[0]);
result.excludedLeak = await leak('/untraced/leak.reactor.wasm');

const SQL = await initSqlJs({ locateFile: () => sqlWasmUrl });
const before = takeSnapshot();
const db = new SQL.Database();
db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
const insert = db.prepare('INSERT INTO t (name) VALUES (?)');
for (let i = 0; i < 1000; i++) insert.run(['row-' + i]);
insert.free();
result.rows = db.exec('SELECT count(*) FROM t')[0].values[0][0];
const sqlDomain = getDomains().find((d) => d.name === 'sql-wasm-browser-debug.wasm');
result.sqlGrowth = takeSnapshot().compareTo(before, 'lineno').reduce((n, d) => n + d.sizeDiff, 0);
db.close();
result.sqlLeftAfterClose = takeSnapshot().compareTo(before, 'lineno').filter((d) => d.sizeDiff !== 0).map(String);
result.domains = getDomains().map((d) => d.name);
result.sqlTraced = !!sqlDomain;
window.result = result;
document.body.dataset.done = 'true';
`,
  );
}

/**
 * @oxc-parser/wasm 0.60.0's web build: its glue imported from node_modules (so, pre-bundled
 * by Vite), its module copied into public/ and initialised from there, as apps do. The
 * module is stripped and its allocator exports anonymous (`__wbindgen_export_1`): only the
 * glue says which they are, and public/ has no glue beside the copy.
 */
function makeOxcApp(): void {
  rmSync(OXC_APP, { recursive: true, force: true });
  mkdirSync(join(OXC_APP, 'public'), { recursive: true });
  mkdirSync(join(OXC_APP, 'node_modules/@oxc-parser'), { recursive: true });
  mkdirSync(join(OXC_APP, 'node_modules/@wasm-tracemalloc'), { recursive: true });
  const pkg = dirname(require.resolve('@oxc-parser/wasm/package.json'));
  copyFileSync(join(pkg, 'web/oxc_parser_wasm_bg.wasm'), join(OXC_APP, 'public/oxc_parser_wasm_bg.wasm'));
  symlinkSync(pkg, join(OXC_APP, 'node_modules/@oxc-parser/wasm'));
  symlinkSync(join(ROOT, 'packages/runtime'), join(OXC_APP, 'node_modules/@wasm-tracemalloc/runtime'));
  writeFileSync(join(OXC_APP, 'index.html'), '<!doctype html><title>oxc app</title><script type="module" src="/main.js"></script>\n');
  writeFileSync(
    join(OXC_APP, 'main.js'),
    `import init, { parseSync } from '@oxc-parser/wasm/web/oxc_parser_wasm.js';
import { getDomains, getTracedMemory, getTracerStats, takeSnapshot } from '@wasm-tracemalloc/runtime';

const SOURCE = Array.from({ length: 40 }, (_, i) => \`
export async function handler\${i}<T extends { id: number }>(items: T[], limit = \${i + 1}): Promise<Map<number, T>> {
  const out = new Map<number, T>();
  for (const item of items.slice(0, limit)) if (item.id % \${(i % 5) + 2} === 0) out.set(item.id, item);
  /* block comment \${i} */
  return out;
}
\`).join('');

await init({ module_or_path: '/oxc_parser_wasm_bg.wasm' });
const held = (snapshot) => snapshot.statistics('filename').reduce((t, s) => ({ blocks: t.blocks + s.count, bytes: t.bytes + s.size }), { blocks: 0, bytes: 0 });
const parses = [];
for (let i = 0; i < 3; i++) {
  const before = held(takeSnapshot());
  const result = parseSync(SOURCE, { sourceFilename: 'workload.ts' });
  const statements = result.program.body.length;
  const json = result.programJson.length;
  const parsed = held(takeSnapshot());
  result.free();
  parses.push({ statements, json, before, parsed, freed: held(takeSnapshot()), peak: getTracedMemory()[1] });
}
const { untracedFrees, doubleFrees } = getTracerStats();
window.result = { parses, untracedFrees, doubleFrees, domains: getDomains().map((d) => d.name) };
document.body.dataset.done = 'true';
`,
  );
}

/** Vite's logger with every info and warning kept. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (msg: string) => void lines.push(msg);
  return {
    lines,
    info: keep,
    warn: keep,
    warnOnce: keep,
    error: keep,
    clearScreen() {},
    hasErrorLogged: () => false,
    hasWarned: false,
  };
}

const customSections = (bytes: Uint8Array) => WebAssembly.Module.customSections(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), SITE_SECTION);

describe('vite plugin', () => {
  let cacheDir: string;
  let outside: string;
  const servers: Array<{ close(): Promise<void> }> = [];

  const start = async (logger = recordingLogger(), cache = cacheDir, options: Parameters<typeof wasmTracemalloc>[0] = {}) => {
    const dev = await startDevServer(APP, {
      configFile: false,
      cacheDir: cache,
      customLogger: logger,
      plugins: [wasmTracemalloc({ exclude: ['**/untraced/**'], ...options })],
    });
    servers.push(dev);
    return { ...dev, logger };
  };

  beforeAll(() => {
    if (!existsSync(FIXTURE)) {
      const r = spawnSync('bash', [join(ROOT, 'test/fixtures/build.sh')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`test/fixtures/build.sh failed:\n${r.stderr}`);
    }
    makeApp();
    cacheDir = mkdtempSync(join(tmpdir(), 'wtm-vite-cache-'));
    outside = mkdtempSync(join(tmpdir(), 'wtm-vite-outside-'));
    copyFileSync(FIXTURE, join(outside, 'secret.wasm'));
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  it('sends every plain .wasm request instrumented (once, then from the disk cache), and leaves the rest alone', async () => {
    const original = new Uint8Array(readFileSync(FIXTURE));
    const first = await start();
    const response = await fetch(`${first.url}leak.reactor.wasm`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/wasm');
    const traced = new Uint8Array(await response.arrayBuffer());
    expect(customSections(original)).toHaveLength(0);
    expect(customSections(traced)).toHaveLength(1);
    expect(first.logger.lines.filter((l) => l.includes('wasm-tracemalloc: instrumented public/leak.reactor.wasm'))).toHaveLength(1);

    // The same bytes again: a 304 for the browser's copy, and no second pass.
    const etag = response.headers.get('etag')!;
    expect((await fetch(`${first.url}leak.reactor.wasm?t=123`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect(new Uint8Array(await (await fetch(`${first.url}leak.reactor.wasm`)).arrayBuffer())).toEqual(traced);

    // exclude: as it is on disk.
    expect(new Uint8Array(await (await fetch(`${first.url}untraced/leak.reactor.wasm`)).arrayBuffer())).toEqual(original);
    // A file under the root (not public/) too; but `?url` asks for Vite's JavaScript module, not the file.
    expect(new Uint8Array(await (await fetch(`${first.url}src/leak.wasm`)).arrayBuffer())).toEqual(traced);
    const asUrl = await fetch(`${first.url}src/leak.wasm?url&import`);
    expect(asUrl.headers.get('content-type')).toMatch(/javascript/);
    expect(await asUrl.text()).toContain('export default "/src/leak.wasm"');

    // On disk under the cache dir: a restarted server serves it without instrumenting.
    const cached = readdirSync(join(cacheDir, 'wasm-tracemalloc')).filter((f) => f.endsWith('.wasm'));
    expect(cached).toHaveLength(1);
    expect(new Uint8Array(readFileSync(join(cacheDir, 'wasm-tracemalloc', cached[0])))).toEqual(traced);
    await first.close();
    const second = await start();
    expect(new Uint8Array(await (await fetch(`${second.url}leak.reactor.wasm`)).arrayBuffer())).toEqual(traced);
    expect(second.logger.lines.filter((l) => l.includes('instrumented'))).toEqual([]);
  });

  it('says once per module, in the terminal, what it traces and which modules it sends untraced, and why; after a restart too', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'wtm-vite-cache-'));
    try {
      // What the CLI prints for the same modules: the allocators and how each was found; the pass's warning.
      const traced = instrument(new Uint8Array(readFileSync(FIXTURE)), { source: 'public/leak.reactor.wasm' });
      const summary = `wasm-tracemalloc: ${allocatorSummary('public/leak.reactor.wasm', traced.allocators)}`;
      expect(summary).toMatch(/^wasm-tracemalloc: public\/leak\.reactor\.wasm: malloc = /);
      const [noAllocator, ...others] = instrument(NO_ALLOCATOR, { source: 'public/add.wasm' }).warnings;
      expect(others).toEqual([]);
      expect(noAllocator).toMatch(/^public\/add\.wasm: no allocator found, so nothing is traced and the module is unchanged\. Looked for /);
      const warning = `wasm-tracemalloc: warning: ${noAllocator}`;

      for (const run of ['first', 'restarted']) {
        const dev = await start(recordingLogger(), cache);
        for (let i = 0; i < 3; i++) {
          expect(new Uint8Array(await (await fetch(`${dev.url}add.wasm`)).arrayBuffer()), run).toEqual(NO_ALLOCATOR);
          expect(customSections(new Uint8Array(await (await fetch(`${dev.url}leak.reactor.wasm`)).arrayBuffer()))).toHaveLength(1);
        }
        const lines = dev.logger.lines.filter((l) => l.includes('add.wasm') || l.includes('public/leak.reactor.wasm:'));
        expect(lines, run).toEqual([warning, summary]);
        await dev.close();
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("keeps Vite's file-serving rules and serves its endpoints to its own origin only", async () => {
    const dev = await start();
    // Outside server.fs.allow: Vite refuses it, and the plugin must not serve it either.
    expect((await fetch(`${dev.url}@fs${join(realpathSync(outside), 'secret.wasm')}`)).status).toBe(403);

    const endpoint = `${dev.url}__wasm-tracemalloc/snapshots/`;
    expect(await (await fetch(endpoint)).json()).toEqual({ tabs: [], snapshots: [] });
    expect((await fetch(endpoint, { headers: { origin: dev.url.slice(0, -1) } })).status).toBe(200);
    expect((await fetch(endpoint, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await fetch(endpoint, { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await fetch(`${dev.url}__wasm-tracemalloc/snapshots/1/x.wtmsnap`)).status).toBe(404);

    // The viewer (or, unbuilt, the live page) with the live channel's module first.
    const html = await (await fetch(`${dev.url}__wasm-tracemalloc/`)).text();
    if (existsSync(join(ROOT, 'packages/viewer/dist/index.html'))) {
      expect(html.indexOf('@wasm-tracemalloc/viewer-channel.js')).toBeGreaterThan(0);
      expect(html.indexOf('@wasm-tracemalloc/viewer-channel.js')).toBeLessThan(html.indexOf('<script type="module" crossorigin'));
    } else {
      expect(html).toContain('The viewer is not built');
    }
    expect(await (await fetch(`${dev.url}__wasm-tracemalloc/live/`)).text()).toContain('@wasm-tracemalloc/live-page.js');

    // Printed under Vite's own URLs.
    dev.logger.lines.length = 0;
    dev.server.printUrls();
    expect(dev.logger.lines.join('\n')).toContain(`Tracemalloc: ${dev.url}__wasm-tracemalloc/`);
  });

  describe.skipIf(!existsSync(CHROMIUM))('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('traces public/ Wasm to the byte, and sql.js from node_modules through its own glue', async () => {
      // A cache that outlives the run: sql.js's 0.8 MB module is instrumented once per machine.
      const dev = await start(recordingLogger(), join(ROOT, 'test-output/vite-plugin-cache'));
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(dev.url);
      await page.waitForSelector('body[data-done]', { timeout: 30_000 });
      const result = await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
      expect(errors).toEqual([]);
      // leak.c's phase_leak_nodes: 1000 blocks of 100 B, one site.
      expect(result.publicLeak).toBe(100_000);
      expect(result.publicTop).toMatch(/^(\S*leak\.c:\d+|leak\.reactor\.wasm:leak_nodes\+0x[0-9a-f]+): size=97\.7 KiB, count=1000, average=100 B$/);
      expect(result.excludedLeak).toBe(0);
      // Both leak.reactor.wasm copies ran, but only the first one is a traced domain.
      expect(result.domains).toEqual(['leak.reactor.wasm', 'sql-wasm-browser-debug.wasm']);
      expect(result.sqlTraced).toBe(true);
      expect(result.rows).toBe(1000);
      expect(result.sqlGrowth).toBeGreaterThan(100 * 1024); // SQLite's page cache and schema
      expect(result.sqlLeftAfterClose).toEqual([]);
      await page.close();
    });

    it('traces a stripped wasm-bindgen module copied into public/, through the glue the app imports from node_modules', async () => {
      makeOxcApp();
      const cache = mkdtempSync(join(tmpdir(), 'wtm-vite-oxc-'));
      try {
        const wasm = new Uint8Array(readFileSync(join(OXC_APP, 'public/oxc_parser_wasm_bg.wasm')));
        // The control: what the plugin had before, the glue beside the copy (none in public/). Not traced.
        const beside = await new InstrumentCache(join(cache, 'control'), { alloc: [], maxFrames: 128, root: OXC_APP }).get(wasm, 'public/oxc_parser_wasm_bg.wasm', join(OXC_APP, 'public/oxc_parser_wasm_bg.wasm'));
        expect(beside).toMatchObject({ traced: false, reason: 'no allocator found' });

        const logger = recordingLogger();
        const dev = await startDevServer(OXC_APP, { configFile: false, cacheDir: cache, customLogger: logger, plugins: [wasmTracemalloc()] });
        servers.push(dev);
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(dev.url);
        await page.waitForSelector('body[data-done]', { timeout: 30_000 });
        const result = await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
        await page.close();
        expect(errors).toEqual([]);

        // The glue reached the pass from Vite's pre-bundled copy of oxc_parser_wasm.js
        // (named after it): the anonymous exports, and the dlmalloc they call, are traced.
        const summary =
          'wasm-tracemalloc: public/oxc_parser_wasm_bg.wasm: malloc = wasm-function[21] (under the wasm-bindgen shim), ' +
          'malloc = export __wbindgen_export_1 (from the glue oxc_parser_wasm.js), malloc = wasm-function[757] (under the wasm-bindgen shim), ' +
          'memalign = wasm-function[313] (under the wasm-bindgen shim), realloc = export __wbindgen_export_2 (from the glue oxc_parser_wasm.js), ' +
          'realloc = wasm-function[730] (under the wasm-bindgen shim), free = wasm-function[184] (under the wasm-bindgen shim), ' +
          'free = export __wbindgen_export_3 (from the glue oxc_parser_wasm.js), free = wasm-function[768] (under the wasm-bindgen shim)';
        const said = logger.lines.filter((l) => l.includes('oxc_parser_wasm_bg.wasm'));
        expect(said.filter((l) => !l.startsWith('wasm-tracemalloc: instrumented public/oxc_parser_wasm_bg.wasm in '))).toEqual([summary]);
        expect(said).toHaveLength(2);

        expect(result.domains).toEqual(['oxc_parser_wasm_bg.wasm']);
        // Each parse of the same source, the same blocks: until free(), 4 blocks of 355,232 B
        // held by the ParseResult, with a peak of 575,450 B on the way. free() gives them all
        // back; the first parse also leaves one 112 B block (made once, at wasm-function[217],
        // and held since).
        const parse = (before: number, freed: number) => ({
          statements: 40,
          json: 220_218,
          before: { blocks: before ? 1 : 0, bytes: before },
          parsed: { blocks: 4, bytes: 355_232 },
          freed: { blocks: 1, bytes: freed },
          peak: 575_450,
        });
        expect(result.parses).toEqual([parse(0, 112), parse(112, 112), parse(112, 112)]);
        expect({ untracedFrees: result.untracedFrees, doubleFrees: result.doubleFrees }).toEqual({ untracedFrees: 0, doubleFrees: 0 });
        await dev.close();

        // Restarted, the browser would keep the pre-bundled glue (served immutable) and ask
        // for the module alone: the plugin reads the glue from Vite's deps folder, and the
        // traced module comes from the cache, not from a second pass.
        const restarted = recordingLogger();
        const again = await startDevServer(OXC_APP, { configFile: false, cacheDir: cache, customLogger: restarted, plugins: [wasmTracemalloc()] });
        servers.push(again);
        expect(customSections(new Uint8Array(await (await fetch(`${again.url}oxc_parser_wasm_bg.wasm`)).arrayBuffer()))).toHaveLength(1);
        expect(restarted.lines.filter((l) => l.includes('oxc_parser_wasm_bg.wasm'))).toEqual([summary]);
        await again.close();
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    });

    it("streams each tab's samples to the live page: current 100,000 B, and the 238,800 B peak between two samples", async () => {
      const dev = await start();
      const errors: string[] = [];
      const live = await browser.newPage();
      live.on('pageerror', (e) => errors.push(String(e)));
      await live.goto(`${dev.url}__wasm-tracemalloc/live/`);
      await live.waitForSelector('.status');
      const page = await browser.newPage();
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${dev.url}samples.html`);
      await page.waitForSelector('body[data-done]', { timeout: 30_000 });
      expect(await page.evaluate(() => (window as unknown as { result: number[] }).result)).toEqual([100_000, 238_800]);
      // The page's own samples, over Vite's WebSocket: the latest current, and the highest of the samples' peaks.
      const tab = await live.waitForSelector('.tab[data-current="100000"]', { timeout: 10_000 });
      const shown = await tab!.evaluate((el) => ({
        label: el.querySelector('strong')?.textContent,
        peak: (el as HTMLElement).dataset.peak,
        samples: Number((el as HTMLElement).dataset.samples),
        current: el.querySelector('.current')?.textContent,
        peakText: el.querySelector('.peak')?.textContent,
        points: Number(el.querySelector('svg.chart')?.getAttribute('data-points')),
        paths: [...el.querySelectorAll('svg.chart path')].map((p) => p.getAttribute('class')),
      }));
      expect(shown).toMatchObject({ label: 'samples page', peak: '238800', current: '97.7 KiB', peakText: 'peak 233 KiB', paths: ['peak', 'current'] });
      expect(shown.samples).toBeGreaterThanOrEqual(2);
      expect(shown.points).toBe(shown.samples);
      // A live page opened later gets the samples the dev server kept.
      const late = await browser.newPage();
      await late.goto(`${dev.url}__wasm-tracemalloc/live/`);
      const again = await late.waitForSelector('.tab[data-current="100000"]', { timeout: 10_000 });
      expect(await again!.evaluate((el) => (el as HTMLElement).dataset.peak)).toBe('238800');
      // The viewer, served by the plugin, is live too: its Live bar shows the same tab and numbers.
      const viewer = await browser.newPage();
      viewer.on('pageerror', (e) => errors.push(String(e)));
      await viewer.goto(`${dev.url}__wasm-tracemalloc/`);
      const bar = await viewer.waitForSelector('.live-tab[data-current="100000"]', { timeout: 10_000 });
      expect(
        await bar!.evaluate((el) => ({
          label: el.querySelector('.live-label')?.textContent,
          kind: el.querySelector('.live-kind')?.textContent,
          modules: el.querySelector('.live-modules')?.textContent,
          peak: (el as HTMLElement).dataset.peak,
          current: el.querySelector('.live-current')?.textContent,
          peakText: el.querySelector('.live-peak')?.textContent,
          button: el.querySelector<HTMLButtonElement>('.snapshot-now')?.disabled,
        })),
      ).toEqual({ label: 'samples page', kind: 'page', modules: 'leak.reactor.wasm', peak: '238800', current: '97.7 KiB', peakText: 'peak 233 KiB', button: false });
      // No snapshot yet: the page says how to take one.
      expect(await viewer.$eval('.empty-state h1', (el) => el.textContent)).toBe('Waiting for a snapshot');
      expect(errors).toEqual([]);
      await Promise.all([live.close(), page.close(), late.close(), viewer.close()]);
    });

    it('shows the live page and the viewer which module the dev server sent untraced, and why', async () => {
      const dev = await start();
      const errors: string[] = [];
      const [noAllocator] = instrument(NO_ALLOCATOR, { source: 'public/add.wasm' }).warnings;
      // A live page already open hears of it when the module is first asked for.
      const live = await browser.newPage();
      live.on('pageerror', (e) => errors.push(String(e)));
      await live.goto(`${dev.url}__wasm-tracemalloc/live/`);
      await live.waitForFunction(() => document.querySelector('.status')?.textContent !== 'Connecting to the dev server…');
      await fetch(`${dev.url}add.wasm`);
      await fetch(`${dev.url}add.wasm`);
      await live.waitForSelector('.untraced-module');
      const shown = (page: typeof live, selector: string) =>
        page.$$eval(selector, (els) => els.map((el) => ({ text: el.textContent, title: (el as HTMLElement).title })));
      const expected = [{ text: 'public/add.wasm: not traced — no allocator found', title: noAllocator }];
      expect(await shown(live, '.untraced-module')).toEqual(expected);
      // The viewer's live bar, and a live page opened later, get it with the server's state.
      const late = await browser.newPage();
      await late.goto(`${dev.url}__wasm-tracemalloc/live/`);
      await late.waitForSelector('.untraced-module');
      expect(await shown(late, '.untraced-module')).toEqual(expected);
      if (existsSync(join(ROOT, 'packages/viewer/dist/index.html'))) {
        const viewer = await browser.newPage();
        viewer.on('pageerror', (e) => errors.push(String(e)));
        await viewer.goto(`${dev.url}__wasm-tracemalloc/`);
        await viewer.waitForSelector('.live-untraced-module');
        expect(await shown(viewer, '.live-untraced-module')).toEqual(expected);
        await viewer.close();
      }
      expect(errors).toEqual([]);
      await Promise.all([live.close(), late.close()]);
    });

    it('samplingIntervalBytes: every page starts sampled, and its 1000 × 100 B leak is estimated within 8%', async () => {
      expect(() => wasmTracemalloc({ samplingInterval: 4096 } as never)).toThrow(
        'wasmTracemalloc(): unknown option "samplingInterval"; the options are include, exclude, alloc, maxFrames, samplingIntervalBytes, build, crossOriginIsolated',
      );
      expect(() => wasmTracemalloc({ samplingIntervalBytes: -1 })).toThrow(
        'wasmTracemalloc({ samplingIntervalBytes }): must be 0 (trace every allocation) or a number of bytes of at least 1, such as 4096; got -1',
      );
      const dev = await start(recordingLogger(), cacheDir, { samplingIntervalBytes: 64 });
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${dev.url}samples.html`);
      await page.waitForSelector('body[data-done]', { timeout: 30_000 });
      const { sampling, result } = await page.evaluate(() => {
        const w = window as unknown as { sampling: number; result: number[] };
        return { sampling: w.sampling, result: w.result };
      });
      expect(errors).toEqual([]);
      expect(sampling).toBe(64);
      // Each 100 B block is traced with p = 1 − e^(−100/64) = 0.79: the estimate's standard deviation is 1.6%.
      expect(Math.abs(result[0]! / 100_000 - 1)).toBeLessThan(0.08);
      // The live page marks the tab's numbers as estimates.
      const live = await browser.newPage();
      await live.goto(`${dev.url}__wasm-tracemalloc/live/`);
      const tab = await live.waitForSelector(`.tab[data-current="${result[0]}"]`, { timeout: 10_000 });
      expect(
        await tab!.evaluate((el) => ({
          current: el.querySelector('.current')?.textContent,
          sampled: el.querySelector('.sampled')?.textContent,
        })),
      ).toEqual({ current: `≈${formatSize(result[0]!)}`, sampled: 'sampled, one per 64 B' });
      // So does the viewer's live bar.
      const viewer = await browser.newPage();
      await viewer.goto(`${dev.url}__wasm-tracemalloc/`);
      const bar = await viewer.waitForSelector(`.live-tab[data-current="${result[0]}"]`, { timeout: 10_000 });
      expect(await bar!.$eval('.live-current', (el) => [el.textContent, (el as HTMLElement).title])).toEqual([
        `≈${formatSize(result[0]!)}`,
        `${result[0]} B traced now (an estimate: the tab traces a sample, one block per 64 B allocated)`,
      ]);
      await Promise.all([page.close(), live.close(), viewer.close()]);
    });
  });
});
