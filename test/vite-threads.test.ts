// The Vite plugin on a program on threads (issue 18, the browser half): with
// `crossOriginIsolated: true`, the dev server makes the page cross-origin isolated,
// the page shares its tracer with the module workers it starts, and each worker joins
// it before the app's first message. The app (test/vite-threads/) runs the scenario of
// test/shared-memory/driver.mjs on mt.wasm, built here from test/shared-memory/mt.c as
// test/shared-memory.test.ts builds it; the page's snapshot, stored by the dev server,
// must hold every thread's blocks exactly, as `wasm-tracemalloc node` reports them.
// (A page that is not isolated runs as before: test/vite-plugin.test.ts's pages.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, PLUGIN_DIR, launchChromium, liveState, loadStoredSnapshot, preview, startDevServer, type Browser } from '../packages/vite-plugin/harness/e2e.mjs';
import wasmTracemalloc from '../packages/vite-plugin/dist/node/index.js';
import type { Snapshot } from '../packages/runtime/dist/model/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'test/vite-threads');
const SOURCE = join(ROOT, 'test/shared-memory/mt.c');
const tmp = mkdtempSync(join(tmpdir(), 'wtm-vite-threads-'));
/** The app's public dir: mt.wasm, built in beforeAll. */
const PUBLIC = join(tmp, 'public');

/** The line of the `site:NAME` marker in mt.c. */
const lineOf = (name: string) => readFileSync(SOURCE, 'utf8').split('\n').findIndex((l) => l.includes(`/* site:${name} */`)) + 1;

/** "mt.c:line: count blocks size B" of each site holding blocks (most recent frame), sorted. */
const shape = (snapshot: Snapshot) =>
  snapshot
    .statistics('lineno')
    .filter((s) => s.count > 0)
    .map((s) => `${s.traceback.mostRecent.filename.split('/').pop()}:${s.traceback.mostRecent.lineno} ${s.count} blocks ${s.size} B`)
    .sort();

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const isolationOf = (r: Response) => ({ 'cross-origin-opener-policy': r.headers.get('cross-origin-opener-policy'), 'cross-origin-embedder-policy': r.headers.get('cross-origin-embedder-policy') });

beforeAll(() => {
  mkdirSync(PUBLIC);
  // Compile and link in two steps: clang would run a wasm-opt on PATH after the link.
  const object = join(tmp, 'mt.o');
  execFileSync('clang-19', ['--target=wasm32', '-O2', '-g', '-matomics', '-mbulk-memory', '-nostdlib', '-c', SOURCE, '-o', object]);
  execFileSync('wasm-ld-19', [object, '-o', join(PUBLIC, 'mt.wasm'), '--no-entry', '--import-memory', '--shared-memory', '--max-memory=67108864', '--export=malloc', '--export=free', '--export=realloc']);
});

describe('vite plugin: a program on threads', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  const start = async (options: Parameters<typeof wasmTracemalloc>[0]) => {
    const dev = await startDevServer(APP, {
      configFile: false,
      cacheDir: join(tmp, 'cache'),
      publicDir: PUBLIC,
      // The app imports the plugin's client API; this test app has no node_modules entry for it.
      resolve: { alias: { '@wasm-tracemalloc/vite-plugin/client': join(PLUGIN_DIR, 'dist/client/index.js') } },
      plugins: [wasmTracemalloc(options)],
    });
    servers.push(dev);
    return dev;
  };

  afterAll(async () => {
    for (const s of servers) await s.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('crossOriginIsolated: true sends COOP and COEP on every response of the dev server and of vite preview; without it, neither', async () => {
    expect(() => wasmTracemalloc({ crossOriginIsolated: 'yes' as never })).toThrow('wasmTracemalloc({ crossOriginIsolated }): must be true or false, got "yes"');
    const dev = await start({ crossOriginIsolated: true });
    // The page, a module, the Wasm (instrumented by the plugin), Vite's client, the plugin's endpoints, a 404.
    for (const path of ['', 'main.js', 'mt.wasm', '@vite/client', '@wasm-tracemalloc/page.js', '__wasm-tracemalloc/live/', '__wasm-tracemalloc/snapshots/', 'nothing-here.txt']) {
      const r = await fetch(dev.url + path);
      expect({ path, ...isolationOf(r) }).toEqual({ path, ...ISOLATION });
    }
    const plain = await start({});
    for (const path of ['', 'mt.wasm', '__wasm-tracemalloc/live/']) {
      expect(isolationOf(await fetch(plain.url + path))).toEqual({ 'cross-origin-opener-policy': null, 'cross-origin-embedder-policy': null });
    }

    // vite preview of a built app (a page and a .wasm in its outDir).
    const outDir = join(tmp, 'dist');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'index.html'), '<!doctype html><title>built</title>\n');
    writeFileSync(join(outDir, 'add.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    for (const crossOriginIsolated of [true, false]) {
      const server = await preview({
        root: tmp,
        configFile: false,
        logLevel: 'silent',
        cacheDir: join(tmp, 'cache'),
        build: { outDir },
        preview: { host: '127.0.0.1', port: 0 },
        plugins: [wasmTracemalloc({ crossOriginIsolated })],
      });
      try {
        const url = server.resolvedUrls!.local[0]!;
        for (const path of ['', 'add.wasm']) {
          const r = await fetch(url + path);
          expect(r.status).toBe(200);
          expect(isolationOf(r)).toEqual(crossOriginIsolated ? ISOLATION : { 'cross-origin-opener-policy': null, 'cross-origin-embedder-policy': null });
        }
      } finally {
        await server.close();
      }
    }
  });

  describe.skipIf(!existsSync(CHROMIUM))('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it("traces every thread into the page's table: leaks per site and per thread, exact, no untraced or double frees, the same in 3 loads", async () => {
      const dev = await start({ crossOriginIsolated: true });
      const make = `mt.c:${lineOf('make')}`;
      const grow = `mt.c:${lineOf('grow')}`;
      const slots = `mt.c:${lineOf('slots')}`;
      for (let load = 0; load < 3; load++) {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        page.on('console', (m) => {
          if (m.type() === 'warn' || m.type() === 'error') errors.push(m.text());
        });
        await page.goto(dev.url);
        await page.waitForSelector('body[data-done]', { timeout: 60_000 });
        const result = await page.evaluate(() => (window as unknown as { result: Record<string, any> }).result);
        expect(result.error, `load ${load}`).toBeUndefined();
        expect(errors).toEqual([]);
        expect(result.isolated).toBe(true);
        expect(result.kept).toBe(50);
        // Each worker was isolated too and joined; its app code saw one message, its own:
        // the tracer's came first and was kept from it.
        expect(result.workers.map((w: { op: string }) => w.op)).toEqual(['make', 'handoff', 'leak', 'churn', 'churn']);
        for (const w of result.workers) {
          const keys = w.op === 'make' ? ['memory', 'module', 'n', 'op', 'size', 'slots'] : w.op === 'handoff' ? ['memory', 'module', 'op', 'slots'] : ['memory', 'module', 'op'];
          expect(w).toEqual({ op: w.op, isolated: true, joined: true, messages: 1, keys });
        }
        // A classic worker (no worker module of the plugin in it) got the app's message only.
        expect(result.classicSaw).toEqual({ op: 'hello' });
        // Cross-thread frees and reallocs were all of traced blocks, each once.
        expect(result.stats).toMatchObject({ untracedFrees: 0, doubleFrees: 0, lostTraces: 0, traces: 563 });

        // The snapshot the page took with the plugin's takeSnapshot(), as the dev server stored it.
        const snapshot = await loadStoredSnapshot(dev.url, result.info);
        // 500 × 64 + 10 × 32 at make_blocks, 50 × 256 at the realloc, and the three arrays (1300 + 500 + 10 pointers).
        expect(shape(snapshot)).toEqual([`${make} 510 blocks 32320 B`, `${grow} 50 blocks 12800 B`, `${slots} 3 blocks 7240 B`].sort());
        expect(snapshot.meta.current).toBe(32320 + 12800 + 7240);
        // Allocated and freed since start(), over every thread: A's 1,300 blocks at make_blocks
        // were all freed (1,250) or moved (50) by B; the churners' 2 × 100,000 pairs of
        // 16…72 B are all freed, a site that holds nothing.
        // Summed over the tracebacks whose allocation site is `line` (every thread's).
        const counters = (line: string) => {
          const { frames, tracebacks } = snapshot.data;
          const sum = [0, 0, 0, 0];
          for (const tb of tracebacks) {
            const f = frames[tb.frames.at(-1)!]!;
            if (`${f.filename.split('/').pop()}:${f.lineno}` !== line) continue;
            [tb.allocCount, tb.freeCount, tb.allocSize, tb.freeSize].forEach((v, k) => (sum[k] += v ?? 0));
          }
          return sum;
        };
        expect(counters(make)).toEqual([1810, 1300, 1300 * 24 + 500 * 64 + 10 * 32, 1300 * 24]);
        expect(counters(`mt.c:${lineOf('churn')}`)).toEqual([200_000, 200_000, 8_800_000, 8_800_000]);
        expect(snapshot.meta).toMatchObject({ untracedFrees: 0, doubleFrees: 0, lostTraces: 0 });
        // By thread: W, B and the page hold blocks; A's were all freed or moved by B; the churners hold nothing.
        const threads = snapshot.threads();
        expect(threads.map((t) => ({ size: t.size, count: t.count, page: t.thread === 0, sites: shape(snapshot.filterThread(t.thread)) }))).toEqual([
          { size: 32000 + 2000, count: 501, page: false, sites: [`${make} 500 blocks 32000 B`, `${slots} 1 blocks 2000 B`].sort() },
          { size: 12800, count: 50, page: false, sites: [`${grow} 50 blocks 12800 B`] },
          { size: 5200 + 40 + 320, count: 12, page: true, sites: [`${make} 10 blocks 320 B`, `${slots} 2 blocks 5240 B`].sort() },
        ]);
        // W and B are two threads, neither the page; the file says what the page's own snapshot said.
        expect(new Set(threads.map((t) => t.thread)).size).toBe(3);
        expect(result.threads).toEqual(threads);

        // One tab, the page's: the workers joined its tracer, so none is a tab of its own
        // counting the same blocks again; the page's samples hold every thread's.
        const live = await liveState(dev.url);
        expect(live.tabs.map((t) => ({ kind: t.kind, label: t.label, modules: t.modules }))).toEqual([{ kind: 'page', label: 'threads app', modules: ['mt.wasm'] }]);
        expect(live.snapshots.at(-1)).toMatchObject({ id: result.info.id, tab: live.tabs[0]!.id, current: 52360 });
        await expect.poll(async () => (await liveState(dev.url)).tabs[0]?.last?.current, { timeout: 5_000 }).toBe(52360);
        await page.close();
        // The tab goes with its page.
        await expect.poll(async () => (await liveState(dev.url)).tabs.length, { timeout: 5_000 }).toBe(0);
      }
    });
  });
});
