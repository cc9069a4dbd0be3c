// Issue 19's views in Chromium: churn columns (allocated and freed per row), the
// peak's composition, and memory over time by site. Two snapshots of one session
// with known numbers: between them churn.c:14 allocated and freed exactly 1,000
// blocks of 64 B (and holds none), leak.c:9 kept 200 more blocks of 64 B, and
// spike.c:20 held 200 blocks of 1,024 B at the traced peak and freed them all.
//
// The snapshots are opened two ways: as files written by encodeSnapshot (the
// format keeps the counters, the peak and the per-site samples), and as data
// given to the page (App.openData). The file test is skipped when the installed
// runtime's file format drops those fields (checked by a round trip).
// Screenshots at 1280×800 and 1920×1080 go to test-output/viewer/.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSnapshot, encodeSnapshot, formatSize, type SnapshotData } from '@wasm-tracemalloc/runtime/model';
import { CHROMIUM, ensureViewerBuilt, launchChromium, serveViewer, type Browser, type Page } from '../packages/viewer/harness/browser.mjs';
import { errors, screenshot, waitForTable } from './viewer/page.js';

const START = Date.UTC(2026, 0, 5, 10, 0, 0);
const FRAMES = [
  { filename: 'src/app.c', lineno: 10, function: 'main' },
  { filename: 'src/churn.c', lineno: 14, function: 'churn_step' },
  { filename: 'src/leak.c', lineno: 9, function: 'leak_node' },
  { filename: 'src/spike.c', lineno: 20, function: 'spike_buffers' },
  { filename: 'src/cache.c', lineno: 31, function: 'fill_cache' },
];
const SAMPLES = 40; // one per 100 ms
const SPIKE_AT = 30; // the sample whose interval held the peak
const UNTRACKED = 1000; // traced bytes of sites the sampler does not track

/** Per sample i of the session: the tracked sites' bytes (leak grows, the cache fills once, the spike comes and goes). */
function siteBytes(i: number): [leak: number, spike: number, cache: number] {
  return [64 * Math.round((300 * i) / (SAMPLES - 1)), i === SPIKE_AT ? 200 * 1024 : 0, i >= 5 ? 64 * 256 : 0];
}

/** The session at sample `last` (19: the base, 39: the snapshot). */
function snapshotAt(last: number): SnapshotData {
  const now = last === SAMPLES - 1;
  const churned = now ? 1500 : 500;
  const leaked = now ? 300 : 100;
  const tracebacks = [
    { frames: [0, 1], totalNframe: 2, allocCount: churned, allocSize: 64 * churned, freeCount: churned, freeSize: 64 * churned },
    { frames: [0, 2], totalNframe: 2, allocCount: leaked, allocSize: 64 * leaked, freeCount: 0, freeSize: 0, ...(now && { peakCount: 231, peakSize: 231 * 64 }) },
    { frames: [0, 3], totalNframe: 2, allocCount: now ? 200 : 0, allocSize: now ? 200 * 1024 : 0, freeCount: now ? 200 : 0, freeSize: now ? 200 * 1024 : 0, ...(now && { peakCount: 200, peakSize: 200 * 1024 }) },
    { frames: [0, 4], totalNframe: 2, allocCount: 64, allocSize: 64 * 256, freeCount: 0, freeSize: 0, ...(now && { peakCount: 64, peakSize: 64 * 256 }) },
  ];
  const traceback: number[] = [];
  const size: number[] = [];
  for (let k = 0; k < leaked; k++) traceback.push(1), size.push(64);
  for (let k = 0; k < 64; k++) traceback.push(3), size.push(256);
  const n = last + 1;
  const sites = [0, 1, 2].map((s) => Array.from({ length: n }, (_, i) => siteBytes(i)[s]));
  const current = Array.from({ length: n }, (_, i) => siteBytes(i).reduce((a, b) => a + b, 0) + UNTRACKED);
  // The last sample is the snapshot's own: what it holds.
  current[n - 1] = size.reduce((a, b) => a + b, 0) + UNTRACKED;
  return {
    tracebackLimit: 4,
    frames: FRAMES,
    tracebacks,
    traces: { domain: new Uint32Array(traceback.length), size: Float64Array.from(size), traceback: Uint32Array.from(traceback) },
    domains: [{ id: 0, name: 'churn-demo.wasm' }],
    meta: { timestamp: START + 100 * last, current: current[n - 1], peak: Math.max(...current) },
    samples: {
      start: START,
      time: Array.from({ length: n }, (_, i) => 100 * i),
      current,
      peak: current.slice(),
      traces: current.map(() => 0),
      sites: { traceback: [1, 2, 3], size: sites },
    },
  } as SnapshotData;
}

const BASE = snapshotAt(19);
const NOW = snapshotAt(SAMPLES - 1);
const PEAK = NOW.meta!.peak as number;

/** Whether the installed file format keeps the counters, the peak and the sites (a round trip of a tiny snapshot). */
function formatKeepsFields(): boolean {
  const tiny = {
    tracebackLimit: 1,
    frames: [{ filename: 'a.c', lineno: 1 }],
    tracebacks: [{ frames: [0], totalNframe: 1, allocCount: 7, allocSize: 70, freeCount: 7, freeSize: 70, peakCount: 3, peakSize: 30 }],
    traces: { domain: new Uint32Array(0), size: new Float64Array(0), traceback: new Uint32Array(0) },
    samples: { start: 1, time: [0], current: [0], peak: [30], traces: [0], sites: { traceback: [0], size: [[0]] } },
  } as SnapshotData;
  const back = decodeSnapshot(encodeSnapshot(tiny)) as SnapshotData & { tracebacks: Array<{ allocCount?: number; peakSize?: number }>; samples?: { sites?: unknown } };
  return back.tracebacks[0].allocCount === 7 && back.tracebacks[0].peakSize === 30 && back.samples?.sites !== undefined;
}
const FILES_OK = formatKeepsFields();

let dir: string;
let server: { url: string; close(): Promise<void> } | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  dir = mkdtempSync(join(tmpdir(), 'wtm-viewer-churn-'));
  const fixtures = join(dir, 'fixtures');
  mkdirSync(fixtures);
  writeFileSync(join(fixtures, 'base.wtmsnap'), encodeSnapshot(BASE));
  writeFileSync(join(fixtures, 'now.wtmsnap'), encodeSnapshot(NOW));
  ensureViewerBuilt();
  server = await serveViewer({ fixtures });
  browser = await launchChromium({ width: 1280, height: 800 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newPage(query: string, width = 1280, height = 800): Promise<Page & { problems: string[] }> {
  const page = (await browser!.newPage()) as Page & { problems: string[] };
  await page.setViewport({ width, height });
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(String(err)));
  await page.goto(`${server!.url}${query}`, { waitUntil: 'domcontentloaded' });
  return page;
}

/** Opens the two snapshots as data (App.openData), the snapshot selected and compared with the base. */
async function openAsData(page: Page): Promise<void> {
  const plain = (d: SnapshotData) => JSON.stringify({ ...d, traces: { domain: [...d.traces.domain], size: [...d.traces.size], traceback: [...d.traces.traceback] } });
  await page.waitForFunction(() => (window as unknown as { wtmViewer?: unknown }).wtmViewer !== undefined);
  await page.evaluate(
    (base, now) => {
      const app = (window as unknown as { wtmViewer: { app: { openData(d: unknown, name: string): void } } }).wtmViewer.app;
      for (const [json, name] of [
        [base, 'base.wtmsnap'],
        [now, 'now.wtmsnap'],
      ]) {
        const d = JSON.parse(json);
        d.traces = { domain: Uint32Array.from(d.traces.domain), size: Float64Array.from(d.traces.size), traceback: Uint32Array.from(d.traces.traceback) };
        app.openData(d, name);
      }
    },
    plain(BASE),
    plain(NOW),
  );
  await waitForTable(page);
  await page.waitForFunction(() => document.querySelectorAll('.timeline .marker').length === 2);
  await page.evaluate(() => (window as unknown as { wtmViewer: { app: { setState(s: unknown): void } } }).wtmViewer.app.setState({ snapshot: 1, base: 0 }));
  await page.waitForFunction(() => document.querySelector('.stats-table.compare.churn .row') !== null);
}

interface ChurnRow {
  location: string;
  fn: string;
  size: string;
  sizeDiff: string;
  countDiff: string;
  allocCount: string;
  freeCount: string;
  allocSize: string;
  freeSize: string;
}

async function churnRows(page: Page, view = '#view-table'): Promise<ChurnRow[]> {
  return page.$$eval(`${view} .table-rows .row`, (els) =>
    els
      .map((el) => {
        const cell = (id: string) => el.querySelector(`.col-${id}`)?.textContent ?? '';
        return {
          pos: Number((el as HTMLElement).dataset.pos),
          location: el.querySelector('.col-location .label')?.textContent ?? '',
          fn: cell('function'),
          size: cell('size'),
          sizeDiff: cell('sizeDiff'),
          countDiff: cell('countDiff'),
          allocCount: cell('allocCount'),
          freeCount: cell('freeCount'),
          allocSize: cell('allocSize'),
          freeSize: cell('freeSize'),
        };
      })
      .sort((a, b) => a.pos - b.pos)
      .map(({ pos: _, ...row }) => row),
  );
}

const columnTitles = (page: Page, view = '#view-table') => page.$$eval(`${view} .table-header .cell`, (els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => (e.textContent ?? '').replace(' ▾', '')));

/** The churn columns of the diff, the peak view and the chart's legend, with the numbers the data were made with. */
async function checkViews(page: Page & { problems: string[] }, label: string): Promise<void> {
  // At 1280 px a diff with churn leaves out Average and Change (Δ Size is coloured by the change).
  expect(await columnTitles(page)).toEqual(['#', 'Location', 'Function', 'Size', 'Δ Size', 'Count', 'Δ Count', '# Allocs', '# Frees', 'Alloc size', 'Freed size']);
  let shown = await churnRows(page);
  // leak.c:9 grew by 200 blocks of 64 B, the cache did not change; then the sites that hold nothing now, most bytes allocated since the base first.
  expect(shown.map((r) => r.location)).toEqual(['src/leak.c:9', 'src/cache.c:31', 'src/spike.c:20', 'src/churn.c:14']);
  expect(shown[3]).toEqual({ location: 'src/churn.c:14', fn: 'churn_step', size: '0 B', sizeDiff: '+0 B', countDiff: '0', allocCount: '+1,000', freeCount: '+1,000', allocSize: `+${formatSize(64_000)}`, freeSize: `+${formatSize(64_000)}` });
  expect(shown[0]).toMatchObject({ sizeDiff: `+${formatSize(12_800)}`, allocCount: '+200', freeCount: '0', allocSize: `+${formatSize(12_800)}` });
  expect(shown[1]).toMatchObject({ sizeDiff: '+0 B', allocCount: '0', freeCount: '0' });
  expect(shown[2]).toMatchObject({ size: '0 B', allocCount: '+200', freeCount: '+200', allocSize: `+${formatSize(204_800)}` });
  // Sortable: by blocks freed, the churn first.
  await page.click('#view-table .table-header .col-freeCount button');
  await page.waitForFunction(() => document.querySelector('#view-table .table-header .col-freeCount button.active') !== null);
  shown = await churnRows(page);
  expect(shown.map((r) => r.location)).toEqual(['src/churn.c:14', 'src/spike.c:20', 'src/leak.c:9', 'src/cache.c:31']);
  expect(page.url()).toContain('sort=freeCount');

  // The chart by site: "other" on top, then a legend entry per tracked site (largest area at the bottom, listed last).
  // The chart by site is folded at first.
  await page.$eval('details.timeline-sites', (d) => ((d as HTMLDetailsElement).open = true));
  await page.waitForSelector('.site-plot .site-area');
  const legend = await page.$$eval('.site-legend .site-item', (els) => els.map((e) => e.textContent));
  expect(legend).toEqual(['other', 'spike_buffers src/spike.c:20', 'leak_node src/leak.c:9', 'fill_cache src/cache.c:31']);
  expect(await page.$eval('.site-title', (e) => e.textContent)).toBe('Memory by site (by line)');
  expect(await page.$$eval('.site-plot .site-area', (els) => els.length)).toBe(4);
  // Hovering at the spike shows every band's bytes then.
  const box = (await (await page.$('.site-plot .brush-area'))!.boundingBox())!;
  await page.mouse.move(box.x + (box.width * SPIKE_AT) / (SAMPLES - 1), box.y + box.height / 2);
  await page.waitForSelector('.site-tip:not([hidden])');
  const tip = await page.$$eval('.site-tip .site-tip-row', (els) => els.map((e) => e.textContent));
  const [leak, spike, cache] = siteBytes(SPIKE_AT);
  expect(tip).toEqual([`other${formatSize(UNTRACKED)}`, `spike_buffers src/spike.c:20${formatSize(spike)}`, `leak_node src/leak.c:9${formatSize(leak)}`, `fill_cache src/cache.c:31${formatSize(cache)}`]);
  await screenshot(page, `churn-diff-${label}-1280x800`);
  await page.setViewport({ width: 1920, height: 1080 });
  await page.mouse.move(1, 1);
  await screenshot(page, `churn-diff-${label}-1920x1080`);
  await page.setViewport({ width: 1280, height: 800 });

  // Regrouping by file regroups the chart.
  await page.click('input[name=group][value=filename]');
  await page.waitForFunction(() => document.querySelector('.site-title')?.textContent === 'Memory by site (by file)');
  expect(await page.$$eval('.site-legend .site-item', (els) => els.map((e) => e.textContent))).toEqual(['other', 'src/spike.c', 'src/leak.c', 'src/cache.c']);
  await page.click('input[name=group][value=lineno]');

  // The peak: what was live then, not now (spike.c:20 holds nothing at the end).
  await page.mouse.move(1, 1);
  await page.click('#tab-peak');
  await page.waitForFunction(() => document.querySelector('#view-peak .table-rows .row') !== null && !(document.querySelector('#view-peak') as HTMLElement).hidden);
  const peakRows = await churnRows(page, '#view-peak');
  expect(peakRows.map((r) => [r.location, r.fn, r.size])).toEqual([
    ['src/spike.c:20', 'spike_buffers', formatSize(204_800)],
    ['src/cache.c:31', 'fill_cache', formatSize(16_384)],
    ['src/leak.c:9', 'leak_node', formatSize(14_784)],
  ]);
  expect(await page.$eval('#view-peak .peak-title', (e) => e.textContent)).toBe(`Peak: ${formatSize(PEAK)}, reached between +2.90 s and +3.00 s (${new Date(START + 3000).toLocaleTimeString('en-GB', { hour12: false })})`);
  expect(await page.$eval('#view-peak .peak-note', (e) => e.textContent)).toContain(`${formatSize(235_968)} in 495 blocks were live then, by line`);
  expect(await columnTitles(page, '#view-peak')).toEqual(['#', 'Location', 'Function', 'Size', 'Count', 'Average']);
  const boxes = await page.evaluate(() => (window as unknown as { wtmViewer: { app: { flameBoxes(): unknown } } }).wtmViewer.app.flameBoxes());
  expect(Array.isArray(boxes)).toBe(true);
  const flameLabels = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#view-peak .flame-canvas')!;
    return { width: canvas.width, height: canvas.height };
  });
  expect(flameLabels.width).toBeGreaterThan(0);
  await screenshot(page, `churn-peak-${label}-1280x800`);
  await page.setViewport({ width: 1920, height: 1080 });
  await screenshot(page, `churn-peak-${label}-1920x1080`);
  // The dark theme: the chart's colours and the peak view on a dark background.
  await page.evaluate(() => (document.documentElement.dataset.resolvedTheme = 'dark'));
  await page.setViewport({ width: 1280, height: 800 });
  await screenshot(page, `churn-peak-${label}-dark-1280x800`);
  expect(await errors(page)).toEqual([]);
  expect(page.problems).toEqual([]);
}

describe.skipIf(!existsSync(CHROMIUM))('churn, the peak and memory by site (Chromium)', () => {
  it('opened as data: churn columns with +1,000 / +1,000 / Δ 0, the peak view, the chart by site', async () => {
    const page = await newPage('');
    await openAsData(page);
    await checkViews(page, 'data');
    await page.close();
  }, 60_000);

  it.skipIf(!FILES_OK)('opened as files written by encodeSnapshot: the same views (skipped while the file format drops the counters, the peak and the sites)', async () => {
    const page = await newPage('?url=fixtures/base.wtmsnap&url=fixtures/now.wtmsnap&snap=1&base=0');
    await waitForTable(page);
    await page.waitForFunction(() => document.querySelector('.stats-table.compare.churn .row') !== null);
    await checkViews(page, 'file');
    await page.close();
  }, 60_000);

  it('a snapshot without a peak composition says so in the peak view', async () => {
    const page = await newPage('');
    await openAsData(page);
    await page.evaluate(() => (window as unknown as { wtmViewer: { app: { setState(s: unknown): void } } }).wtmViewer.app.setState({ snapshot: 0, base: null, view: 'peak' }));
    await page.waitForFunction(() => document.querySelector('#view-peak.empty') !== null);
    expect(await page.$eval('#view-peak .peak-title', (e) => e.textContent)).toBe('No peak composition');
    expect(await page.$eval('#view-peak .peak-note', (e) => e.textContent)).toMatch(/^This snapshot does not record what was live at its peak \(/);
    await page.close();
  }, 60_000);
});
