// The viewer, end to end in Debian's Chromium and Firefox (and a smaller suite in
// WebKitGTK, Safari's engine, over WebDriver): snapshots made by the real runtime
// from the fixture programs are opened the ways a user opens them (file picker,
// ?url=), and the test reads what the page shows. Screenshots of every view go to
// test-output/viewer/ (Firefox's with a firefox- prefix).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DomainFilter, Filter, Snapshot, formatSize } from '@wasm-tracemalloc/runtime/model';
import { decodePprof } from '@wasm-tracemalloc/runtime/pprof';
import { hasWebKit, webKitSession } from './webkit-session.js';
import { BROWSERS, ensureViewerBuilt, serveViewer, type Browser, type BrowserContext, type Page } from '../packages/viewer/harness/browser.mjs';
import { afterTable, errors, panelFrames, rows, screenshot as saveScreenshot, SCREENSHOTS, summaryCards, waitForTable } from './viewer/page.js';
import { SAMPLED, fileKeepsSource, makeViewerFixtures, type ViewerFixtures } from './viewer/snapshots.js';

// Frames are whatever the runtime makes of the fixtures: `leak.wasm:leak_nodes+0x284`
// today, `…/leak.c:14` once symbolized. Expectations come from the model.
const load = (file: string) => Snapshot.load(new Uint8Array(readFileSync(file)), basename(file));
/** The statistics('lineno') row whose frame is in `fn`. */
const lineOf = (snapshot: Snapshot, fn: string) => snapshot.statistics('lineno').find((st) => st.traceback.mostRecent.function === fn)!;
/** Function names of the heaviest traceback through that row's frame, most recent first. */
const callPathOf = (snapshot: Snapshot, fn: string) => {
  const frame = lineOf(snapshot, fn).traceback.mostRecent;
  const tb = snapshot.statistics('traceback').find((st) => st.traceback.mostRecent.equals(frame))!.traceback;
  return [...tb.frames].reverse().map((f) => f.function ?? f.toString());
};

// One set of snapshots and one server for every engine: the runtime names a second
// instance of a module `leak.wasm#2`, so the fixtures are made once per process.
let fx: ViewerFixtures;
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  if (!BROWSERS.some((e) => existsSync(e.executable))) return;
  const dir = mkdtempSync(join(tmpdir(), 'wtm-viewer-'));
  const [fixtures] = await Promise.all([makeViewerFixtures(join(dir, 'fixtures')), Promise.resolve(ensureViewerBuilt())]);
  fx = fixtures;
  server = await serveViewer({ fixtures: fx.dir });
});

afterAll(async () => {
  await server?.close();
  if (fx) rmSync(join(fx.dir, '..'), { recursive: true, force: true });
});

const url = (file: string) => `fixtures/${basename(file)}`;
const seriesQuery = (extra = '') => `?${fx.series.map((f) => `url=${url(f)}`).join('&')}${extra}`;

for (const engine of BROWSERS) describe.skipIf(!existsSync(engine.executable))(`viewer in ${engine.name}`, () => {
  let browser: Browser;
  let darkBrowser: Browser | undefined;
  let downloads: string;
  const screenshot = (page: Page, name: string) => saveScreenshot(page, engine.screenshotPrefix + name);

  beforeAll(async () => {
    downloads = join(fx.dir, '..', `downloads-${engine.name}`);
    browser = await engine.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await darkBrowser?.close();
  });

  /** A fresh page (of `context` if given); fails the test on any uncaught page error. */
  async function open(query = '', theme: 'light' | 'dark' = 'light', context?: BrowserContext): Promise<Page> {
    const dark = theme === 'dark' && !engine.emulatesMedia;
    const page = await (context ?? (dark ? (darkBrowser ??= await engine.launchDark!()) : browser)).newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    (page as Page & { problems: string[] }).problems = problems;
    if (engine.emulatesMedia) await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: theme }]);
    await page.goto(`${server.url}${query}`, { waitUntil: 'domcontentloaded' });
    return page;
  }


  it('shows how to get a snapshot when none is open', async () => {
    const page = await open();
    await page.waitForSelector('.empty-state');
    const text = await page.$eval('.empty-state', (el) => el.textContent ?? '');
    expect(text).toContain('Open a tracemalloc snapshot');
    expect(text).toContain('npx wasm-tracemalloc run app.wasm --snapshot app.wtmsnap');
    expect(text).toContain('?url=');
    await screenshot(page, 'empty');
    await page.close();
  });

  it("opens the CLI's leak_cli snapshot from the file picker: the top row is the CLI's report line", async () => {
    const page = await open();
    const input = await page.waitForSelector('input[type=file]');
    await input!.uploadFile(fx.leakCli);
    await waitForTable(page);
    const [top, ...rest] = await rows(page);
    expect(rest).toEqual([]);
    expect(top.text).toBe(fx.leakCliReportLine); // leak_cli.wasm:leak+0x187: size=97.7 KiB, count=1000, average=100 B
    expect(top.location).toBe(load(fx.leakCli).statistics('lineno')[0].traceback.toString());
    expect([top.size, top.count, top.average]).toEqual(['97.7 KiB', '1,000', '100 B']);
    const cards = await summaryCards(page);
    expect(cards).toMatchObject({ Current: '97.7 KiB', Peak: '97.7 KiB', Blocks: '1,000', Tracebacks: '1', 'Lost traces': '0', 'Double frees': '0' });
    expect(await page.$eval('.status-text', (el) => el.textContent)).toMatch(/^97\.7 KiB in 1,000 blocks · 1 row · /);
    await screenshot(page, 'table');
    await page.close();
  });
  it('compares two snapshots from ?url=: rows equal compareTo, the leak on top marked new', async () => {
    const page = await open(seriesQuery('&snap=1&base=0'));
    await waitForTable(page);
    const [before, after] = fx.series.slice(0, 2).map(load);
    const expected = after.compareTable(before, 'lineno').toArray().map(String);
    const shown = await rows(page);
    expect(shown.map((r) => r.text)).toEqual(expected);
    expect(shown[0].location).toBe(lineOf(after, 'leak_nodes').traceback.toString());
    expect(shown[0]).toMatchObject({ status: 'new', size: '97.7 KiB', sizeDiff: '+97.7 KiB', count: '1,000', countDiff: '+1,000', average: '100 B' });
    expect(shown[0].text).toBe(`${shown[0].location}: size=97.7 KiB (+97.7 KiB), count=1000 (+1000), average=100 B`);
    expect(shown.find((r) => r.size === '10000 B')).toMatchObject({ status: 'new', sizeDiff: '+10000 B', countDiff: '+10', average: '1000 B' });
    const cards = await summaryCards(page);
    expect(cards.Blocks).toBe('1,010');
    expect(await page.$$eval('.summary .card-diff', (els) => els.map((e) => e.textContent))).toContain('+1,010');
    await screenshot(page, 'compare');

    // Everything released: every group is freed, largest |size diff| first, as compare_to sorts.
    await afterTable(page, () => page.select('select[aria-label="Snapshot"]', '3'));
    await afterTable(page, () => page.select('select[aria-label="Compare with"]', '1'));
    const freed = await rows(page);
    const [b1, a3] = [fx.series[1], fx.series[3]].map(load);
    expect(freed.map((r) => r.text)).toEqual(a3.compareTable(b1, 'lineno').toArray().map(String));
    // Everything held was released; the other rows are sites that only churned in between
    // (allocated and freed, Δ 0: DevTools' # New and # Deleted), after them.
    const churned = freed.filter((r) => r.status === '=');
    expect(new Set(freed.slice(0, freed.length - churned.length).map((r) => r.status))).toEqual(new Set(['freed']));
    for (const r of churned) expect([r.size, r.sizeDiff]).toEqual(['0 B', '+0 B']);
    expect(freed[0]).toMatchObject({ size: '0 B', sizeDiff: '-97.7 KiB', countDiff: '-1,000' });
    expect(page.url()).toContain('snap=3&base=1');

    // By file, the third snapshot grew the file of leak_nodes (and its neighbours): "grown".
    await page.goto(`${server.url}${seriesQuery('&snap=2&base=1&key=filename')}`, { waitUntil: 'domcontentloaded' });
    await waitForTable(page);
    const byFile = await rows(page);
    const [b2, a3b] = [fx.series[1], fx.series[2]].map(load);
    expect(byFile.map((r) => r.text)).toEqual(a3b.compareTable(b2, 'filename').toArray().map(String));
    const leakFile = lineOf(a3b, 'leak_nodes').traceback.mostRecent.filename;
    expect(byFile.find((r) => r.location === leakFile)).toMatchObject({ status: 'grown' });
    await page.close();
  });

  it("timeline: the four snapshots' samples as one series, churn's peak between snapshots 1 and 2, markers on the curve; Shift+click compares", async () => {
    const page = await open(seriesQuery('&snap=2'));
    await waitForTable(page);
    const samples = load(fx.series[3]).samples!;
    // Every snapshot of the session carries the samples up to it; the last holds them all.
    expect(fx.series.map((f) => load(f).samples!.start)).toEqual(fx.series.map(() => samples.start));
    const n = samples.time.length;
    const paths = await page.$$eval('.timeline path[data-series]', (els) =>
      els.map((e) => ({ cls: e.getAttribute('class'), points: Number((e as SVGElement).dataset.points), d: e.getAttribute('d') ?? '' })),
    );
    expect(paths.map((p) => [p.cls, p.points])).toEqual([
      ['peak-line series-0', n],
      ['current-line series-0', n],
    ]);
    expect(paths[1].d.match(/[ML]/g)).toHaveLength(n); // one point per sample
    // The samples as text: exact bytes. leak.c's phase_leak_nodes (1000 × 100 B), then phase_churn
    // (500 blocks, 138,800 B, allocated and all freed) and lib_rs's 10 × 1000 B before snapshot 2:
    // its sample has current 110,000 B and the highest size since snapshot 1, 238,800 B.
    await page.click('.timeline-samples summary');
    await page.waitForSelector('.timeline-table tr[data-peak]');
    const table = await page.$$eval('.timeline-table tr[data-peak]', (els) => els.map((e) => [Number((e as HTMLElement).dataset.current), Number((e as HTMLElement).dataset.peak)]));
    expect(table).toEqual(samples.time.map((_, i) => [samples.current[i], samples.peak[i]]));
    const marks = fx.series.map((f) => load(f).samples!.time.length - 1); // each snapshot's own sample is its last
    expect(table[marks[1]]).toEqual([100_000 + 10 * 1000, 100_000 + 138_800]);
    expect(Math.max(...table.map((r) => r[1]))).toBe(238_800);
    expect(table[marks[3]]).toEqual([0, 100_000 + 10 * 1000 + 4096 + 100 + 1016 + 240 + 456]);
    expect(await page.$eval('.timeline-samples summary', (e) => e.textContent)).toBe(`Samples (${n})`);
    expect(await page.$eval('.timeline-note', (e) => e.textContent)).toContain(`leak.wasm, lib_rs.wasm: ${n} samples over`);
    // Each marker sits on the current line, at its snapshot's sample.
    const markerLabels = await page.$$eval('.timeline .marker', (els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(markerLabels.map((l) => /current ([^,]+),/.exec(l)?.[1])).toEqual(['0 B', '107 KiB', '113 KiB', '0 B']);
    expect(markerLabels[2]).toMatch(/^Snapshot #3: 3-more\.wtmsnap, current 113 KiB, peak 233 KiB at \d\d:\d\d:\d\d \(selected\)$/);
    const markerY = await page.$$eval('.timeline .marker circle', (els) => els.map((e) => Number(Number(e.getAttribute('cy')).toFixed(1))));
    const currentYs = (paths[1].d.match(/[ML][\d.]+,([\d.]+)/g) ?? []).map((p) => Number(p.split(',')[1]));
    expect(marks.map((m) => currentYs[m])).toEqual(markerY);
    await screenshot(page, 'timeline-samples');
    // Shift+click on marker 1 compares snapshot 4 with it.
    // Taken moments apart, the markers are moved apart enough to click each.
    const markerX = await page.$$eval('.timeline .marker circle', (els) => els.map((e) => Number(e.getAttribute('cx'))));
    for (let i = 1; i < markerX.length; i++) expect(markerX[i] - markerX[i - 1]).toBeGreaterThanOrEqual(12);
    await afterTable(page, async () => {
      await page.keyboard.down('Shift');
      await page.click('.timeline .marker[data-index="0"]');
      await page.keyboard.up('Shift');
    });
    expect(page.url()).toContain('snap=2&base=0');
    expect(await page.$eval('.timeline .marker[data-index="0"]', (e) => e.getAttribute('class'))).toBe('marker base');
    await page.close();
  });

  it('traceback panel: the selected row shows its call path; clicking a frame filters to it', async () => {
    const page = await open(seriesQuery('&snap=2'));
    await waitForTable(page);
    // The top row is selected when the table opens.
    await page.waitForSelector('.traceback-panel .frame');
    const top = (await rows(page))[0];
    expect(await page.$eval('.traceback-panel .stat-line', (el) => el.textContent)).toBe(top.text);
    const snap3 = load(fx.series[2]);
    const frames = await panelFrames(page);
    expect(frames.map((f) => f.fn)).toEqual(callPathOf(snap3, 'leak_nodes'));
    expect(frames.map((f) => f.fn)).toContain('phase_leak_nodes');
    const leakFrame = lineOf(snap3, 'leak_nodes').traceback.mostRecent;
    expect(frames[0].loc).toBe(leakFrame.lineno > 0 ? `${leakFrame.filename}, line ${leakFrame.lineno}` : `${leakFrame.filename}, offset 0x${leakFrame.offset!.toString(16)}`);

    // Select the realloc'd buffer's row with the keyboard, then filter to its caller.
    await page.focus('.table-viewport');
    const all = await rows(page);
    const grow = all.findIndex((r) => r.location === lineOf(snap3, 'grow_buffer').traceback.toString());
    expect(grow).toBeGreaterThan(0);
    for (let i = 0; i < grow; i++) await page.keyboard.press('ArrowDown');
    await page.waitForFunction((t) => document.querySelector('.traceback-panel .stat-line')?.textContent === t, {}, all[grow].text);
    const growPath = callPathOf(snap3, 'grow_buffer');
    expect((await panelFrames(page)).map((f) => f.fn)).toEqual(growPath);
    await screenshot(page, 'traceback');

    // Filter to the phase's frame (the caller of the allocating function).
    const phase = growPath.indexOf('phase_grow_buffer');
    await afterTable(page, () => page.click(`.traceback-panel li:nth-child(${phase + 1}) .frame`));
    const focused = await rows(page);
    expect(focused.map((r) => r.location)).toEqual([all[grow].location]);
    const phaseFrame = snap3.statistics('traceback').find((st) => st.traceback.frames.some((f) => f.function === 'phase_grow_buffer'))!.traceback.frames.find((f) => f.function === 'phase_grow_buffer')!;
    expect(await page.$eval('.focus-chip .chip-value', (el) => el.textContent)).toBe(phaseFrame.toString());
    expect(decodeURIComponent(page.url())).toContain(`focus=${JSON.stringify([phaseFrame.filename, phaseFrame.lineno, phaseFrame.function ?? null, phaseFrame.offset ?? null])}`);
    expect(await page.$eval('.status-text', (el) => el.textContent)).toContain('filtered from');
    await screenshot(page, 'traceback-focus');

    // The URL keeps the filter: a reload shows the same rows.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitForTable(page);
    expect((await rows(page)).map((r) => r.location)).toEqual([all[grow].location]);
    await afterTable(page, () => page.click('.focus-chip .chip-clear'));
    expect(await rows(page)).toHaveLength(all.length);
    await page.close();
  });

  it('filters with tracemalloc globs and domains; groups and sorts from the keyboard; the URL keeps it all', async () => {
    const page = await open(seriesQuery('&snap=1'));
    await waitForTable(page);
    const snap2 = load(fx.series[1]);
    expect((await rows(page)).map((r) => r.text)).toEqual(snap2.statistics('lineno').map(String));
    // The Rust module's blocks (10 x 1000 B) and the C module's leak, by file.
    const rustFile = snap2.statistics('lineno').find((st) => st.count === 10)!.traceback.mostRecent.filename;
    const leakFile = lineOf(snap2, 'leak_nodes').traceback.mostRecent.filename;
    const glob = (file: string) => file.replace(/[[\]*?]/g, '?');

    await afterTable(page, async () => {
      await page.type('input[data-field=include]', glob(rustFile));
      await page.keyboard.press('Enter');
    });
    let shown = await rows(page);
    expect(shown.map((r) => r.text)).toEqual(snap2.filterTraces([new Filter(true, glob(rustFile))]).statistics('lineno').map(String));
    expect(shown[0]).toMatchObject({ size: '10000 B', count: '10', average: '1000 B' });

    // Exclude instead, then the domain checkbox for lib_rs.wasm off as well.
    await afterTable(page, async () => {
      await page.$eval('input[data-field=include]', (el) => ((el as HTMLInputElement).value = ''));
      await page.type('input[data-field=exclude]', glob(leakFile));
      await page.keyboard.press('Enter');
    });
    expect((await rows(page)).map((r) => r.text)).toEqual(snap2.filterTraces([new Filter(false, glob(leakFile))]).statistics('lineno').map(String));
    await afterTable(page, () => page.$eval('input[data-field=exclude]', (el) => ((el as HTMLInputElement).value = '')).then(() => page.focus('input[data-field=exclude]')).then(() => page.keyboard.press('Enter')));
    const domainBoxes = await page.$$eval('.domains label.domain', (els) => els.map((e) => e.textContent));
    expect(domainBoxes).toEqual(['leak.wasm', 'lib_rs.wasm']);
    await afterTable(page, () => page.click('.domains label.domain:nth-of-type(2) input'));
    shown = await rows(page);
    const leakDomain = snap2.domains.find((d) => d.name.startsWith('leak.wasm'))!.id;
    expect(shown.map((r) => r.text)).toEqual(snap2.filterTraces([new DomainFilter(true, leakDomain)]).statistics('lineno').map(String));
    expect(page.url()).toContain(`dom=${leakDomain}`);

    // Keyboard: 3 groups by traceback (callers shown), s sorts by count.
    await page.focus('.table-viewport');
    await afterTable(page, () => page.keyboard.press('3'));
    shown = await rows(page);
    expect(shown[0].callers).toBe(`← ${callPathOf(snap2, 'leak_nodes').slice(1, 4).join(' ← ')}${callPathOf(snap2, 'leak_nodes').length > 4 ? ' ← …' : ''}`);
    await afterTable(page, () => page.keyboard.press('s'));
    shown = await rows(page);
    expect(shown[0].count).toBe('1,000');
    const counts = shown.map((r) => Number(r.count.replace(/,/g, '')));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    expect(page.url()).toContain('key=traceback');
    expect(page.url()).toContain('sort=count');

    // Reload: same grouping, order and domains.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitForTable(page);
    expect(await page.$eval('input[name=group][value=traceback]', (el) => (el as HTMLInputElement).checked)).toBe(true);
    expect(await page.$eval('input[name=sort][value=count]', (el) => (el as HTMLInputElement).checked)).toBe(true);
    expect((await rows(page)).map((r) => r.text)).toEqual(shown.map((r) => r.text));
    await screenshot(page, 'filtered');
    await page.close();
  });

  it('flame graph: boxes per call path, click to zoom, search, and the diff in compare mode', async () => {
    const page = await open(seriesQuery('&snap=2&view=flame'));
    await page.waitForSelector('#view-flame[data-generation]');
    const boxes = () => page.evaluate(() => (window as unknown as { wtmViewer: { app: { flameBoxes(): Array<{ node: number; label: string; x: number; y: number; w: number; h: number }> } } }).wtmViewer.app.flameBoxes());
    let drawn = await boxes();
    expect(drawn[0]).toMatchObject({ node: 0, label: 'all', x: 0 });
    const labels = drawn.map((b) => b.label);
    expect(labels.some((l) => l.startsWith('phase_leak_nodes'))).toBe(true);
    const leak = drawn.find((b) => /^leak_nodes\b/.test(b.label))!;
    expect(leak).toBeDefined();
    const width = drawn[0].w;
    // 97.7 KiB of the snapshot's total: its box is that share of the width.
    const total = load(fx.series[2]).statistics('filename').reduce((n, s) => n + s.size, 0);
    expect(leak.w / width).toBeCloseTo(100_000 / total, 2);
    await screenshot(page, 'flame');

    const canvas = (await page.$('.flame-canvas'))!;
    const rect = (await canvas.boundingBox())!;
    await page.mouse.move(rect.x + leak.x + leak.w / 2, rect.y + leak.y + leak.h / 2);
    await page.waitForSelector('.flame-tooltip:not([hidden])');
    expect(await page.$eval('.flame-tooltip', (el) => el.textContent)).toContain('97.7 KiB');
    await page.mouse.click(rect.x + leak.x + leak.w / 2, rect.y + leak.y + leak.h / 2);
    await page.waitForSelector(`#view-flame[data-zoom="${leak.node}"]`);
    await page.waitForFunction((n) => (window as unknown as { wtmViewer: { app: { flameBoxes(): Array<{ node: number; w: number }> } } }).wtmViewer.app.flameBoxes().some((b) => b.node === n && b.w > 500), {}, leak.node);
    drawn = await boxes();
    expect(drawn.find((b) => b.node === leak.node)).toMatchObject({ x: 0, w: width });
    expect(await page.$eval('.traceback-panel .panel-title', (el) => el.textContent)).toBe('Call path');
    const path = callPathOf(load(fx.series[2]), 'leak_nodes');
    expect((await panelFrames(page)).map((f) => f.fn)).toEqual(path.slice(path.indexOf('leak_nodes')));
    await screenshot(page, 'flame-zoomed');

    // Escape zooms out; search shows how much memory the matching frames hold.
    await page.focus('.flame-canvas');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#view-flame[data-zoom="0"]');
    await page.type('.flame-bar .search', 'leak_nodes');
    await page.waitForFunction(() => document.querySelector('.flame-bar .matched')?.textContent?.startsWith('Matches: 97.7 KiB'));
    expect(page.url()).toContain('q=leak_nodes');

    // Compare with the first snapshot: the diff's colours, and its width choice.
    await page.goto(`${server.url}${seriesQuery('&snap=1&base=0&view=flame')}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#view-flame[data-generation]');
    expect(await page.$eval('.flame-bar .legend', (el) => el.textContent)).toBe('grew shrank same');
    expect(await page.$eval('.flame-bar select', (el) => (el as HTMLSelectElement).hidden)).toBe(false);
    await screenshot(page, 'flame-diff');
    await page.close();
  });

  it('renders hostile names as text: no markup, no script runs', async () => {
    const page = await open(`?url=${url(fx.hostile)}`);
    await waitForTable(page);
    const shown = await rows(page);
    const { filename, function: fn, source } = fx.hostileNames;
    expect(shown.map((r) => r.location)).toEqual([`${filename}:${fn}+0x2a`, '"><svg onload=alert(1)>:7']);
    await page.waitForSelector('.traceback-panel .frame');
    const frames = await panelFrames(page);
    expect(frames[0].fn).toBe(fn);
    expect(frames[0].loc).toBe(`${filename}, offset 0x2a`);
    if (fileKeepsSource(fx.hostile)) expect(frames[0].src).toBe(source);
    expect(await page.$$eval('.domains label', (els) => els.length)).toBe(0); // one domain: no picker
    await page.keyboard.press('f');
    await page.waitForSelector('#view-flame[data-generation]');
    const box = await page.evaluate(() => (window as unknown as { wtmViewer: { app: { flameBoxes(): Array<{ label: string; x: number; y: number; w: number; h: number }> } } }).wtmViewer.app.flameBoxes().find((b) => b.label.includes('<script>')));
    const rect = (await (await page.$('.flame-canvas'))!.boundingBox())!;
    await page.mouse.move(rect.x + box!.x + box!.w / 2, rect.y + box!.y + box!.h / 2);
    await page.waitForSelector('.flame-tooltip:not([hidden])');
    expect(await page.$eval('.flame-tooltip strong', (el) => el.textContent)).toBe(`${fn}+0x2a`);
    await page.keyboard.press('t');
    await screenshot(page, 'hostile');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.$$eval('img, iframe, script:not([src]), b, body svg:not(.timeline svg)', (els) => els.map((e) => e.outerHTML.slice(0, 60)))).toEqual([]);
    expect((page as Page & { problems: string[] }).problems).toEqual([]);
    await page.close();
  });

  it('reports corrupt, foreign and missing files by name and stays usable', async () => {
    const page = await open(`?url=${url(fx.corrupt)}&url=${url(fx.garbage)}&url=fixtures/missing.wtmsnap`);
    await page.waitForFunction(() => document.querySelectorAll('.errors .error').length === 3 && document.querySelector('.empty-state') !== null);
    const shown = await errors(page);
    expect(shown[0]).toMatch(/^corrupt\.wtmsnap is corrupt: its checksum says CRC-32 0x[0-9a-f]{8}, but its bytes give 0x[0-9a-f]{8}/);
    expect(shown[1]).toMatch(/^garbage\.wtmsnap is not a wasm-tracemalloc snapshot/);
    expect(shown[2]).toBe('Could not open missing.wtmsnap: could not fetch fixtures/missing.wtmsnap: HTTP 404 Not Found');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await screenshot(page, 'errors');
    // The page still opens a good file afterwards.
    const input = await page.$('input[type=file]');
    await input!.uploadFile(fx.leakCli);
    await waitForTable(page);
    expect((await rows(page))[0].text).toBe(fx.leakCliReportLine);
    await page.close();
  });

  it('keeps 100,000 rows virtualized: few elements, and the last row is reachable', async () => {
    const page = await open(`?url=${url(fx.wide)}`);
    await waitForTable(page);
    expect(await page.$$eval('.table-rows .row', (els) => els.length)).toBeLessThan(80);
    let shown = await rows(page);
    expect(shown[0]).toMatchObject({ rank: '1', size: '97.7 KiB', count: '1' });
    expect(await page.$eval('.status-text', (el) => el.textContent)).toMatch(/^4768 MiB in 100,000 blocks · 100,000 rows · /);
    await page.focus('.table-viewport');
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.querySelector('.table-rows .row.selected .col-rank')?.textContent === '100000');
    shown = await rows(page);
    expect(shown.at(-1)).toMatchObject({ rank: '100000', size: '1 B', location: 'wide.wasm:site+0x100' });
    expect(await page.$$eval('.table-rows .row', (els) => els.length)).toBeLessThan(80);
    await page.close();
  });

  it('exports the view as JSON and the selected traces as pprof', async () => {
    mkdirSync(downloads, { recursive: true });
    const context = await browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: downloads } });
    const page = await open(seriesQuery('&snap=1&base=0'), 'light', context);
    await waitForTable(page);
    // A download's file can exist before it is complete: read it until `parse` takes it.
    const waitFile = async <T>(name: string, parse: (bytes: Buffer) => T): Promise<T> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          return parse(readFileSync(join(downloads, name)));
        } catch (e) {
          if (Date.now() > deadline) throw new Error(`no complete download ${name} (${String(e)}): ${readdirSync(downloads).join(', ')}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const shown = await rows(page);
    await page.click('.exports button:nth-child(1)');
    const json = await waitFile('2-leak.diff.lineno.json', (bytes) => JSON.parse(bytes.toString('utf8')));
    expect(json).toMatchObject({ format: 'wasm-tracemalloc view', snapshot: '2-leak.wtmsnap', base: '1-start.wtmsnap', keyType: 'lineno', total: { size: 110_000, count: 1010 } });
    expect(json.rows.map((r: { text: string }) => r.text)).toEqual(shown.map((r) => r.text));
    expect(json.rows[0]).toMatchObject({ size: 100_000, count: 1000, sizeDiff: 100_000, countDiff: 1000, status: 'new' });

    await page.click('.exports button:nth-child(2)');
    const profile = await waitFile('2-leak.pb.gz', (bytes) => decodePprof(new Uint8Array(gunzipSync(bytes))));
    const values = profile.sample.map((s) => s.value.map(Number)).sort((a, b) => b[1] - a[1]);
    expect(values[0]).toEqual([1000, 100_000]);
    expect(values.reduce((n, v) => n + v[0], 0)).toBe(1010);
    await page.close();
    await context.close();
  });

  it('a sampled snapshot says so: the notice, estimated blocks from its sampled traces, frees not detected; 1 MiB blocks count exactly; exact ones have no notice', async () => {
    const count = (n: number) => n.toLocaleString('en-US');
    const snap = load(fx.sampled);
    expect(snap.samplingIntervalBytes).toBe(SAMPLED.interval);
    // What the page must show is the model's estimate: the sizes and counts of statistics().
    const stats = snap.statistics('filename');
    const blocks = stats.reduce((n, st) => n + st.count, 0);
    const bytes = stats.reduce((n, st) => n + st.size, 0);
    const traces = snap.length;
    expect(traces).toBeLessThan(blocks);
    // The truth is 8 + 4000 blocks. The 100 B blocks' estimate is 3.09 × a Binomial(4000, 32.3%)
    // number of traces: its standard deviation is about 92 blocks, and ±500 (5.5 sd) fails about
    // once in 25 million runs. The 1 MiB blocks are always traced and count exactly (below).
    expect(Math.abs(blocks - (SAMPLED.big.count + SAMPLED.small.count))).toBeLessThan(500);

    const page = await open(`?url=${url(fx.sampled)}`);
    await waitForTable(page);
    expect(await page.$eval('.sampling-notice', (el) => el.textContent)).toBe('Sampled: one trace per 256 B allocated — sizes and counts are estimates');
    const cards = await summaryCards(page);
    expect(cards).toMatchObject({ Current: `≈${formatSize(snap.meta.current as number)}`, Blocks: `≈${count(blocks)}`, 'Untraced frees': '–', 'Double frees': '–' });
    const titles = await page.$$eval('.summary .card', (els) => Object.fromEntries(els.map((el) => [(el as HTMLElement).dataset.card!, (el as HTMLElement).title])));
    expect(titles.Blocks).toBe(`Live blocks, estimated from ${count(traces)} sampled traces (one trace per 256 B allocated): each counts as the blocks it stands for`);
    expect(titles['Untraced frees']).toMatch(/\. Not detected while sampling: /);
    expect(titles['Double frees']).toMatch(/\. Not detected while sampling: /);
    expect((await rows(page)).map((r) => r.text)).toEqual(snap.statistics('lineno').map(String));
    const status = async () => (await page.$eval('.status-text', (el) => el.textContent ?? '')).split(' · ');
    expect((await status()).slice(0, 2)).toEqual([`≈${formatSize(bytes)} in ≈${count(blocks)} blocks (estimated from ${count(traces)} sampled traces)`, '1 row']);
    expect(await page.$eval('select[aria-label="Snapshot"] option', (el) => el.textContent)).toMatch(new RegExp(`^#1 · sampled\\.wtmsnap · \\d\\d:\\d\\d:\\d\\d · ≈${formatSize(bytes).replace('.', '\\.')} \\(sampled\\)$`));
    await page.waitForSelector('.traceback-panel .hint.sampled');
    expect(await page.$eval('.traceback-panel .hint.sampled', (el) => el.textContent)).toBe('Sampled: one trace per 256 B allocated — sizes and counts are estimates.');
    // The tracer's samples count sampled traces, not blocks.
    await page.click('.timeline-samples summary');
    await page.waitForSelector('.timeline-table th');
    expect(await page.$$eval('.timeline-table th', (els) => els.map((e) => e.textContent))).toEqual(['time', 'current', 'peak since previous', 'sampled traces']);
    await screenshot(page, 'sampled');

    // Only the 1 MiB blocks' instance: each stands for itself, exact.
    expect(await page.$$eval('.domains label.domain', (els) => els.map((e) => e.textContent))).toEqual([SAMPLED.big.domain, SAMPLED.small.domain]);
    await afterTable(page, () => page.click('.domains label.domain:nth-of-type(2) input'));
    expect((await rows(page)).map((r) => [r.size, r.count, r.average])).toEqual([['8192 KiB', '8', '1024 KiB']]);
    expect((await status()).slice(0, 3)).toEqual(['≈8192 KiB in ≈8 blocks (estimated from 8 sampled traces)', '1 row', `filtered from ≈${formatSize(bytes)} in ≈${count(blocks)} blocks`]);

    // Compared with an exact snapshot, either way round; an exact snapshot alone has no notice.
    const notice = async (query: string) => {
      await page.goto(`${server.url}?url=${url(fx.sampled)}&url=${url(fx.series[1])}${query}`, { waitUntil: 'domcontentloaded' });
      await waitForTable(page);
      return page.$eval('.summary-area', (el) => el.querySelector('.sampling-notice')?.textContent ?? null);
    };
    expect(await notice('&snap=0&base=1')).toBe("Sampled: one trace per 256 B allocated in this snapshot; the base is exact — this snapshot's sizes and counts, and the differences, are estimates");
    expect((await summaryCards(page)).Blocks).toBe(`≈${count(blocks)}`);
    await screenshot(page, 'sampled-compare');
    expect(await notice('&snap=1&base=0')).toBe("Sampled: one trace per 256 B allocated in the base; this snapshot is exact — the base's sizes and counts, and the differences, are estimates");
    expect(await summaryCards(page)).toMatchObject({ Blocks: '1,010', 'Untraced frees': '0', 'Double frees': '0' });
    expect(await notice('&snap=1')).toBeNull();
    expect(await summaryCards(page)).toMatchObject({ Blocks: '1,010', 'Untraced frees': '0', 'Double frees': '0' });
    expect(await page.$eval('.status-text', (el) => el.textContent)).toMatch(/^107 KiB in 1,010 blocks · \d+ rows · /);
    expect(await errors(page)).toEqual([]);
    await page.close();
  });

  it('has a dark theme', async () => {
    const page = await open(seriesQuery('&snap=2&base=1'), 'dark');
    await waitForTable(page);
    expect(await page.evaluate(() => document.documentElement.dataset.resolvedTheme)).toBe('dark');
    await screenshot(page, 'dark');
    await page.keyboard.press('f');
    await page.waitForSelector('#view-flame[data-generation]');
    await screenshot(page, 'dark-flame');
    // The theme button cycles auto → light → dark; the choice is remembered.
    await page.click('.app-header button.icon');
    expect(await page.evaluate(() => document.documentElement.dataset.resolvedTheme)).toBe('light');
    await page.close();
  });
});

// puppeteer does not drive WebKit: these checks run as scripts in the page, over WebDriver.
describe.skipIf(!hasWebKit())('viewer in WebKitGTK (JavaScriptCore, Safari\'s engine)', () => {
  const webkit = webKitSession();

  const until = <T>(body: string) => webkit().until<T>(body);
  const shot = async (name: string) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, `webkit-${name}.png`), await webkit().screenshot());
  };

  it('compares two snapshots from ?url=: the rows of compareTo, the summary, the call path; no errors', async () => {
    await webkit().goto(`${server.url}${seriesQuery('&snap=1&base=0')}`);
    const shown = await until<{ rows: string[]; blocks: string; frames: string[]; errors: string[] }>(`
      const table = document.querySelector('#view-table');
      const frames = [...document.querySelectorAll('.traceback-panel .frame .fn')].map((e) => e.textContent);
      if (!(Number(table?.dataset.generation) > 0) || frames.length === 0) return;
      return {
        rows: [...document.querySelectorAll('.table-rows .row')].sort((a, b) => a.dataset.pos - b.dataset.pos).map((r) => r.title),
        blocks: document.querySelector('.summary .card[data-card="Blocks"] .card-value')?.textContent,
        frames,
        errors: [...document.querySelectorAll('.errors .error-text')].map((e) => e.textContent),
      };`);
    const [before, after] = fx.series.slice(0, 2).map(load);
    expect(shown.rows).toEqual(after.compareTable(before, 'lineno').toArray().map(String));
    expect(shown.rows[0]).toMatch(/: size=97\.7 KiB \(\+97\.7 KiB\), count=1000 \(\+1000\), average=100 B$/);
    expect(shown.blocks).toBe('1,010');
    expect(shown.frames.slice(0, 2)).toEqual(callPathOf(after, 'leak_nodes').slice(0, 2));
    expect(shown.errors).toEqual([]);
    await shot('compare');
  });

  it("draws the flame graph: the leak's box is its share of the width", async () => {
    await webkit().goto(`${server.url}${seriesQuery('&snap=2&view=flame')}`);
    const boxes = await until<Array<{ label: string; w: number }>>(`
      if (!document.querySelector('#view-flame[data-generation]')) return;
      return window.wtmViewer.app.flameBoxes().map((b) => ({ label: b.label, w: b.w }));`);
    expect(boxes[0]!.label).toBe('all');
    const leak = boxes.find((b) => /^leak_nodes\b/.test(b.label))!;
    const total = load(fx.series[2]!).statistics('filename').reduce((n, s) => n + s.size, 0);
    expect(leak.w / boxes[0]!.w).toBeCloseTo(100_000 / total, 2);
    await shot('flame');
  });

  it('reports corrupt, foreign and missing files by name', async () => {
    await webkit().goto(`${server.url}?url=${url(fx.corrupt)}&url=${url(fx.garbage)}&url=fixtures/missing.wtmsnap`);
    const shown = await until<string[]>(`
      if (document.querySelectorAll('.errors .error').length !== 3 || !document.querySelector('.empty-state')) return;
      return [...document.querySelectorAll('.errors .error-text')].map((e) => e.textContent);`);
    expect(shown[0]).toMatch(/^corrupt\.wtmsnap is corrupt: its checksum says CRC-32 0x[0-9a-f]{8}, but its bytes give 0x[0-9a-f]{8}/);
    expect(shown[1]).toMatch(/^garbage\.wtmsnap is not a wasm-tracemalloc snapshot/);
    expect(shown[2]).toBe('Could not open missing.wtmsnap: could not fetch fixtures/missing.wtmsnap: HTTP 404 Not Found');
  });
});
