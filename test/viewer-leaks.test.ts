// The viewer as a leak finder, end to end in Chromium: a C program built with
// clang-19 for wasm32-wasi and traced through the runtime API makes four
// snapshots of one session; the page ranks its leak suspects, opens diffs largest
// change first, numbers snapshots in time order, and keeps only reloadable
// snapshots in its URL. Screenshots at 1280×800 and 1920×1080 go to
// test-output/viewer/.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { WASI } from 'node:wasi';
import * as tm from 'wasm-tracemalloc';
import { Snapshot, formatSize } from '@wasm-tracemalloc/runtime/model';
import { CHROMIUM, ensureViewerBuilt, launchChromium, serveViewer, type Browser, type Page } from '../packages/viewer/harness/browser.mjs';
import { afterTable, errors, rows, screenshot, waitForTable } from './viewer/page.js';

// Four sites with four stories between the snapshots: `leak_step` keeps 100 blocks
// of 64 B per step (a leak: grows in every interval), `slow_leak` one block of 32 B
// (a smaller leak), `fill_cache` 64 blocks of 256 B once (grows once, then flat),
// `hold_big` one 40,000 B buffer that `release_big` frees before the last snapshot
// (the largest change of the last diff, though not the largest row).
const SOURCE = String.raw`#include <stdlib.h>
static void *leaked[1000];
static int nleaked;
static void *slow[100];
static int nslow;
static void *cache[64];
static void *big;

__attribute__((noinline)) static void *leak_block(void) { return malloc(64); }
__attribute__((export_name("leak_step"))) void leak_step(void) {
  for (int i = 0; i < 100; i++) leaked[nleaked++] = leak_block();
}
__attribute__((noinline)) static void *slow_block(void) { return malloc(32); }
__attribute__((export_name("slow_leak"))) void slow_leak(void) { slow[nslow++] = slow_block(); }
__attribute__((noinline)) static void *cache_entry(void) { return malloc(256); }
__attribute__((export_name("fill_cache"))) void fill_cache(void) {
  for (int i = 0; i < 64; i++) if (!cache[i]) cache[i] = cache_entry();
}
__attribute__((export_name("hold_big"))) void hold_big(void) { big = malloc(40000); }
__attribute__((export_name("release_big"))) void release_big(void) { free(big); big = 0; }
`;

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const load = (file: string) => Snapshot.load(new Uint8Array(readFileSync(file)), basename(file));

let dir: string;
let snaps: string[] = [];
let server: { url: string; close(): Promise<void> } | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  dir = mkdtempSync(join(tmpdir(), 'wtm-viewer-leaks-'));
  const fixtures = join(dir, 'fixtures');
  mkdirSync(fixtures);
  writeFileSync(join(dir, 'growth.c'), SOURCE);
  const wasm = join(dir, 'growth.wasm');
  execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', '-mexec-model=reactor', 'growth.c', '-o', wasm], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  tm.stop();
  tm.start(4);
  const wasi = new WASI({ version: 'preview1', args: ['growth.wasm'], returnOnExit: true });
  const { instance } = await tm.instantiate(readFileSync(wasm), { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, { name: 'growth.wasm', maxFrames: 4 });
  wasi.initialize(instance);
  const e = instance.exports as Record<string, () => void>;
  const snap = async (name: string) => {
    // Distinct timestamps, so that time order is the order taken.
    await sleep(5);
    const file = join(fixtures, name);
    writeFileSync(file, tm.takeSnapshot().dump());
    snaps.push(file);
  };
  e.fill_cache!();
  e.hold_big!();
  await snap('g1.wtmsnap');
  e.leak_step!();
  e.slow_leak!();
  e.fill_cache!();
  await snap('g2.wtmsnap');
  e.leak_step!();
  e.slow_leak!();
  await snap('g3.wtmsnap');
  e.leak_step!();
  e.slow_leak!();
  e.release_big!();
  await snap('g4.wtmsnap');
  tm.stop();
  // A second session of the same program: its own start(), its own samples.
  await sleep(50);
  tm.start(4);
  const again = await tm.instantiate(readFileSync(wasm), { wasi_snapshot_preview1: new WASI({ version: 'preview1', args: ['growth.wasm'], returnOnExit: true }).wasiImport } as WebAssembly.Imports, { name: 'growth.wasm', maxFrames: 4 });
  (again.instance.exports as Record<string, () => void>)._initialize?.();
  const e2 = again.instance.exports as Record<string, () => void>;
  e2.leak_step!();
  await snap('h1.wtmsnap');
  e2.leak_step!();
  e2.leak_step!();
  await snap('h2.wtmsnap');
  tm.stop();
  ensureViewerBuilt();
  server = await serveViewer({ fixtures });
  browser = await launchChromium({ width: 1280, height: 800 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const G = () => snaps.slice(0, 4);
const q = (files: string[], extra = '') => `?${files.map((f) => `url=fixtures/${basename(f)}`).join('&')}${extra}`;

/** The statistics('lineno') row of the site whose frame is in `fn`. */
const siteOf = (s: Snapshot, fn: string) => s.statistics('lineno').find((st) => st.traceback.mostRecent.function === fn);

describe.skipIf(!existsSync(CHROMIUM))('viewer as a leak finder (Chromium)', () => {
  async function open(query: string, width = 1280, height = 800): Promise<Page> {
    const page = await browser!.newPage();
    await page.setViewport({ width, height });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(String(err)));
    (page as Page & { problems: string[] }).problems = problems;
    await page.goto(`${server!.url}${query}`, { waitUntil: 'domcontentloaded' });
    return page;
  }

  it('the C program made what the tests expect: two sessions, the second after the first', () => {
    const [g1, , , g4, h1, h2] = snaps.map(load);
    expect(g1.samples!.start).toBe(g4.samples!.start);
    expect(h1.samples!.start).toBe(h2.samples!.start);
    expect(h1.samples!.start).toBeGreaterThan(g4.samples!.start);
  });

  it('the C program made what the tests expect: the leak grows by 6,400 B a step, the big buffer is freed last', () => {
    const [s1, s2, s3, s4] = snaps.map(load);
    expect([s1, s2, s3, s4].map((s) => siteOf(s, 'leak_block')?.size ?? 0)).toEqual([0, 6400, 12800, 19200]);
    expect([s1, s2, s3, s4].map((s) => siteOf(s, 'slow_block')?.size ?? 0)).toEqual([0, 32, 64, 96]);
    expect([s1, s2, s3, s4].map((s) => siteOf(s, 'cache_entry')?.size ?? 0)).toEqual([16384, 16384, 16384, 16384]);
    expect([s1, s2, s3, s4].map((s) => siteOf(s, 'hold_big')?.size ?? 0)).toEqual([40000, 40000, 40000, 0]);
  });

  it("a diff's first row is its largest |Δ size|, from the URL and when a base is picked; the table shows each site's function", async () => {
    const page = await open(q(G(), '&snap=3&base=2'));
    await waitForTable(page);
    const [s3, s4] = [snaps[2], snaps[3]].map(load);
    const expected = s4.compareTable(s3, 'lineno').toArray().map(String);
    let shown = await rows(page);
    expect(shown.map((r) => r.text)).toEqual(expected);
    // The freed 40,000 B buffer, not the largest row (the leak's 19,200 B) nor the unchanged cache.
    expect(shown[0]).toMatchObject({ status: 'freed', size: '0 B', sizeDiff: `-${formatSize(40000)}`, countDiff: '-1' });
    expect(await page.$eval('.table-rows .row[data-pos="0"] .col-function', (el) => el.textContent)).toBe('hold_big');
    expect(await page.$eval('.table-header .sort.active', (el) => el.textContent)).toBe('Δ Size ▾');
    await screenshot(page, 'leaks-diff-1280x800');
    // At 1280×800 the header is one row and the table starts above the middle; folding
    // the summary and the timeline away moves it up by their height.
    const layout = () =>
      page.evaluate(() => ({
        header: document.querySelector('.app-header')!.getBoundingClientRect().height,
        firstRow: document.querySelector('.table-rows .row')!.getBoundingClientRect().top,
      }));
    const open1280 = await layout();
    expect(open1280.header).toBeLessThan(48);
    expect(open1280.firstRow).toBeLessThan(400);
    await page.click('.panel-toggle[data-panel="summary"]');
    await page.click('.panel-toggle[data-panel="timeline"]');
    const folded = await layout();
    expect(folded.firstRow).toBeLessThan(open1280.firstRow - 150);
    expect(await page.$$eval('.panel-toggle', (els) => els.map((el) => [el.textContent, el.getAttribute('aria-pressed')]))).toEqual([
      ['▸ Summary', 'false'],
      ['▸ Timeline', 'false'],
    ]);
    await screenshot(page, 'leaks-diff-folded-1280x800');
    await page.click('.panel-toggle[data-panel="summary"]');
    await page.click('.panel-toggle[data-panel="timeline"]');
    await page.setViewport({ width: 1920, height: 1080 });
    await sleep(300);
    await screenshot(page, 'leaks-diff-1920x1080');

    // No base, then one picked in the header: the same order.
    await page.goto(`${server!.url}${q(G(), '&snap=3')}`, { waitUntil: 'domcontentloaded' });
    await waitForTable(page);
    expect((await rows(page))[0].location).toBe(siteOf(s4, 'leak_block')!.traceback.toString());
    await afterTable(page, () => page.select('select[aria-label="Compare with"]', '2'));
    shown = await rows(page);
    expect(shown.map((r) => r.text)).toEqual(expected);
    expect(page.url()).toMatch(/snap=3&base=2$/);
    expect((page as Page & { problems: string[] }).problems).toEqual([]);
    await page.close();
  });

  it('ranks the site that grew in every interval first, the smaller leak second, and leaves out the cache and the freed buffer', async () => {
    const page = await open(q(G(), '&snap=3&view=leaks'));
    await page.waitForSelector('#view-leaks .leak-row');
    const suspects = await page.$$eval('#view-leaks .leak-row', (els) =>
      els.map((el) => ({
        location: el.querySelector('.col-location')?.textContent ?? '',
        fn: el.querySelector('.col-function')?.textContent ?? '',
        growth: el.querySelector('.col-growth')?.textContent ?? '',
        size: el.querySelector('.col-size')?.textContent ?? '',
        points: el.querySelectorAll('.leak-spark circle').length,
        title: (el as HTMLElement).title,
      })),
    );
    const s4 = load(snaps[3]);
    const leak = siteOf(s4, 'leak_block')!.traceback.toString();
    const slow = siteOf(s4, 'slow_block')!.traceback.toString();
    expect(suspects).toEqual([
      { location: leak, fn: 'leak_block', growth: formatSize(19200, true), size: formatSize(19200), points: 4, title: `${leak}: 0 B → ${formatSize(6400)} → ${formatSize(12800)} → ${formatSize(19200)}` },
      { location: slow, fn: 'slow_block', growth: '+96 B', size: '96 B', points: 4, title: `${slow}: 0 B → 32 B → 64 B → 96 B` },
    ]);
    expect(await page.$eval('.leaks-note', (el) => el.textContent)).toMatch(/^2 of 3 sites grew in every interval over snapshots #1, #2, #3, #4, largest growth first/);
    // The first suspect is explained in the traceback panel: its 300 blocks and its call path.
    await page.waitForFunction(() => document.querySelector('.traceback-panel, .panel')?.textContent?.includes('leak_block'));
    await screenshot(page, 'leaks-suspects-1280x800');
    await page.setViewport({ width: 1920, height: 1080 });
    await sleep(300);
    await screenshot(page, 'leaks-suspects-1920x1080');

    // With two snapshots of the session there is nothing to rank: the view says why.
    await page.goto(`${server!.url}${q(snaps.slice(0, 2), '&view=leaks')}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.querySelector('.leaks-note')?.textContent?.includes('three snapshots or more'));
    expect(await page.$$('#view-leaks .leak-row')).toHaveLength(0);
    await page.close();
  });

  it('numbers snapshots in time order whatever order the URL lists them in, and writes the URL in that order', async () => {
    const shuffled = [snaps[3], snaps[1], snaps[0], snaps[2]];
    // snap= and base= count in the URL's order: g2 compared with g1.
    const page = await open(q(shuffled, '&snap=1&base=2'));
    await waitForTable(page);
    const options = await page.$$eval('select[aria-label="Snapshot"] option', (els) => els.map((el) => el.textContent ?? ''));
    // One label: number · name · 24-hour time · size.
    expect(options.map((o) => o.split(' · ').slice(0, 2).join(' · '))).toEqual(['#1 · g1.wtmsnap', '#2 · g2.wtmsnap', '#3 · g3.wtmsnap', '#4 · g4.wtmsnap']);
    for (const o of options) expect(o).toMatch(/^#\d · g\d\.wtmsnap · \d{2}:\d{2}:\d{2} · \d/);
    expect(await page.$eval('select[aria-label="Snapshot"]', (el) => (el as HTMLSelectElement).value)).toBe('1');
    expect(await page.$eval('select[aria-label="Compare with"]', (el) => (el as HTMLSelectElement).value)).toBe('0');
    expect(decodeURIComponent(new URL(page.url()).search)).toBe(`${q(G())}&snap=1&base=0`);
    // Timeline markers carry the same numbers, in time order left to right.
    const markers = await page.$$eval('.timeline .marker', (els) => els.map((el) => ({ n: el.querySelector('.marker-label')?.textContent, x: Number(el.querySelector('circle')?.getAttribute('cx')) })));
    expect(markers.map((m) => m.n)).toEqual(['1', '2', '3', '4']);
    expect(markers.map((m) => m.x)).toEqual([...markers.map((m) => m.x)].sort((a, b) => a - b));
    await page.close();
  });

  it('gives each session its own timeline lane with a legend; brushing zooms a lane; leak suspects stay within the selected session', async () => {
    const page = await open(q(snaps, '&snap=5&view=leaks'));
    await page.waitForFunction(() => document.querySelector('.leaks-note')?.textContent?.includes('three snapshots or more'));
    // h2's session has two snapshots: nothing to rank, though six are open.
    expect(await page.$eval('.leaks-note', (el) => el.textContent)).toContain('this session has 2 open');
    const lanes = await page.$$eval('.timeline .lane', (els) => els.map((el) => Array.from(el.querySelectorAll('.marker-label')).map((m) => m.textContent)));
    expect(lanes).toEqual([
      ['1', '2', '3', '4'],
      ['5', '6'],
    ]);
    expect(await page.$$eval('.timeline-legend .legend-item', (els) => els.length)).toBe(2);
    // The samples tables side by side: one per session, each captioned with its line's colour, rows level.
    await page.click('.timeline-samples summary');
    await page.waitForSelector('.timeline-table table[data-series="1"] tbody tr');
    const tables = await page.$$eval('.timeline-table table', (els) =>
      els.map((t) => ({ swatch: t.querySelector('caption .legend-swatch')?.className, firstRow: Math.round(t.querySelector('tbody tr')!.getBoundingClientRect().top) })),
    );
    expect(tables.map((t) => t.swatch)).toEqual(['legend-swatch series-0', 'legend-swatch series-1']);
    expect(tables[0].firstRow).toBe(tables[1].firstRow);
    await page.click('.timeline-samples summary');
    await screenshot(page, 'leaks-sessions-1280x800');
    // Drag across the first lane's left half: it zooms to that time, the other lane does not.
    const area = await page.$('.timeline .lane[data-lane="0"] .brush-area');
    const box = (await area!.boundingBox())!;
    await page.mouse.move(box.x + 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    const ticks = () => page.$$eval('.timeline .lane .tick', (els) => els.map((el) => el.textContent ?? '').filter((t) => t.includes('zoomed')).length);
    expect(await ticks()).toBe(1);
    await page.mouse.click(box.x + 10, box.y + box.height / 2, { clickCount: 2 });
    expect(await ticks()).toBe(0);
    // Snapshot 4 selected: its session's four snapshots are ranked.
    await page.select('select[aria-label="Snapshot"]', '3');
    await page.waitForFunction(() => document.querySelectorAll('#view-leaks .leak-row').length === 2);
    await page.close();
  });

  it("rooted at a focused function, the flame graph shows its callees top-down and its callers bottom-up", async () => {
    const s4 = load(snaps[3]);
    const tb = s4.statistics('traceback').find((st) => st.traceback.mostRecent.function === 'leak_block')!.traceback;
    const step = [...tb.frames].find((f) => f.function === 'leak_step')!;
    const focus = JSON.stringify([step.filename, step.lineno, step.function ?? null, step.offset ?? null]);
    const page = await open(q(G(), `&snap=3&view=flame&focus=${encodeURIComponent(focus)}`));
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#view-flame')?.dataset.generation ?? 0) > 0);
    const label = `leak_step growth.c:${step.lineno}`;
    expect(await page.$$eval('.flame-bar select[aria-label="Direction"] option', (els) => els.map((el) => el.textContent))).toEqual([`Callees of ${label}`, `Callers of ${label}`]);
    // Top-down from leak_step: itself, then leak_block (19,200 B each); nothing above it.
    const rowsOfBoxes = () =>
      page.evaluate(() => {
        const boxes = (window as unknown as { wtmViewer: { app: { flameBoxes(): Array<{ y: number }> } } }).wtmViewer.app.flameBoxes();
        return [...new Set(boxes.map((b) => b.y))].length;
      });
    expect(await rowsOfBoxes()).toBe(3);
    const gen = await page.$eval('#view-flame', (el) => Number((el as HTMLElement).dataset.generation));
    await page.select('.flame-bar select[aria-label="Direction"]', 'bottom-up');
    await page.waitForFunction((g) => Number(document.querySelector<HTMLElement>('#view-flame')?.dataset.generation) > g, {}, gen);
    expect(page.url()).toContain('bu=1');
    // Bottom-up from leak_step: itself, and its callers in the traceback (none above it from JS: the root and itself).
    const callers = [...tb.frames].slice(0, [...tb.frames].indexOf(step)).length;
    await sleep(200);
    expect(await rowsOfBoxes()).toBe(2 + callers);
    await page.close();
  });

  it('after opening local files the URL names no snapshot, so a reload shows no other one', async () => {
    const page = await open('');
    const input = await page.waitForSelector('input[type=file]');
    await input!.uploadFile(...G().slice(0, 3));
    await page.waitForFunction(() => document.querySelectorAll('select[aria-label="Snapshot"] option').length === 3);
    await afterTable(page, () => page.select('select[aria-label="Snapshot"]', '1'));
    expect(new URL(page.url()).search).toBe('');
    await afterTable(page, () => page.select('select[aria-label="Compare with"]', '0'));
    expect(new URL(page.url()).search).toBe('');
    await page.close();
  });

  it('says the path is probably wrong when the server answers with an HTML page', async () => {
    const page = await open('?url=index.html');
    await page.waitForFunction(() => document.querySelectorAll('.errors .error').length === 1);
    expect(await errors(page)).toEqual(['Could not open index.html: the server returned an HTML page for index.html, not a snapshot: the path is probably wrong (check the url= parameter)']);
    await page.close();
  });

  it('names Access-Control-Allow-Origin when a snapshot on another origin cannot be read', async () => {
    // The same server under another origin (localhost, not 127.0.0.1) sends no CORS header.
    const other = server!.url.replace('127.0.0.1', 'localhost');
    const page = await open(`?url=${encodeURIComponent(`${other}fixtures/g1.wtmsnap`)}`);
    await page.waitForFunction(() => document.querySelectorAll('.errors .error').length === 1);
    const [message] = await errors(page);
    expect(message).toContain(`could not fetch ${other}fixtures/g1.wtmsnap: ${other.slice(0, -1)} is another origin`);
    expect(message).toContain(`Access-Control-Allow-Origin: ${server!.url.slice(0, -1)}`);
    await page.close();
  });

  it('the diff flame graph keeps freed memory visible and says which mode it shows', async () => {
    const page = await open(q(G(), '&snap=3&base=2&view=flame'));
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('#view-flame')?.dataset.generation ?? 0) > 0);
    await sleep(200);
    const labels = await page.$$eval('.flame-bar button, .flame-bar select', (els) => els.map((el) => (el instanceof HTMLSelectElement ? `select:${el.value}` : el.textContent)));
    expect(labels).toContain('Icicle');
    expect(labels).toContain('select:max');
    // Width by the larger side: the freed buffer's call path keeps a box (hold_big,
    // beside leak_step, slow_leak and fill_cache); by the snapshot alone it has none.
    const topBoxes = () =>
      page.evaluate(() => {
        const boxes = (window as unknown as { wtmViewer: { app: { flameBoxes(): Array<{ y: number; w: number }> } } }).wtmViewer.app.flameBoxes();
        const first = Math.min(...boxes.filter((b) => b.y > 0).map((b) => b.y));
        return boxes.filter((b) => b.y === first).length;
      });
    expect(await topBoxes()).toBe(4);
    const gen = await page.$eval('#view-flame', (el) => Number((el as HTMLElement).dataset.generation));
    await page.select('.flame-bar select[aria-label="Box width"]', 'after');
    await page.waitForFunction((g) => Number(document.querySelector<HTMLElement>('#view-flame')?.dataset.generation) > g, {}, gen);
    await sleep(200);
    expect(await topBoxes()).toBe(3);
    await page.select('.flame-bar select[aria-label="Box width"]', 'max');
    await sleep(300);
    await screenshot(page, 'leaks-flame-diff-1280x800');
    await page.click('.flame-bar button[aria-pressed]');
    expect(await page.$eval('.flame-bar button[aria-pressed]', (el) => [el.textContent, el.getAttribute('aria-pressed')])).toEqual(['Flame', 'true']);
    await page.close();
  });
});
