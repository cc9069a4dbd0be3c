// The demo (demo/), end to end in Debian's Chromium and Firefox under a Vite dev server started
// through Vite's API with the demo's own vite.config.ts: the page, the plugin's live
// page and the viewer, driven as a person would. The leak is demo/wasm/profiles.c's
// load_profile(): every click of "Open 100 new profiles" keeps 100 blocks of 256 B
// there (and 100 × 20 B of cache entries in cache_put()). Screenshots go to
// test-output/demo/ (Firefox's with a firefox- prefix).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSize, type Frame } from '@wasm-tracemalloc/runtime/model';
import { BROWSERS, buildDemoWasm, DEMO_DIR, liveState, loadStoredSnapshot, startDevServer, type Browser, type Page } from '../packages/vite-plugin/harness/e2e.mjs';
import type { SnapshotInfo } from '../packages/vite-plugin/dist/protocol.js';
import { panelFrames, rows, tableGeneration, waitForTable } from './viewer/page.js';

const SCREENSHOTS = fileURLToPath(new URL('../test-output/demo/', import.meta.url));
const CLICKS = 3;
const PROFILES_PER_CLICK = 100;
const PROFILE_SIZE = 256; // sizeof(struct profile)
const ENTRY_SIZE = 20; // sizeof(struct entry) on wasm32

/** The lines of profiles.c that allocate, found in the source (so an edit does not break the test silently). */
const SOURCE = readFileSync(join(DEMO_DIR, 'wasm/profiles.c'), 'utf8').split('\n');
const lineOf = (text: string) => {
  const i = SOURCE.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`demo/wasm/profiles.c has no line with ${text}`);
  return i + 1;
};
const LOAD_PROFILE_LINE = lineOf('struct profile *p = malloc(sizeof *p);');
const CACHE_PUT_LINE = lineOf('struct entry *e = malloc(sizeof *e);');

/** The frame of an allocation in `fn`: profiles.c:LINE once symbolized, else profiles.wasm:fn+0x…. */
function expectFrame(frame: Frame, fn: string, line: number): void {
  if (frame.lineno > 0) {
    expect(frame.filename).toMatch(/(^|\/)profiles\.c$/);
    expect(frame.lineno).toBe(line);
    if (frame.function !== undefined) expect(frame.function).toBe(fn);
  } else {
    expect(String(frame)).toMatch(new RegExp(`^profiles\\.wasm:${fn}\\+0x[0-9a-f]+$`));
  }
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) as `${string}.png`, fullPage: true });
}

for (const engine of BROWSERS) describe.skipIf(!existsSync(engine.executable))(`demo under the dev server, in ${engine.name}`, () => {
  const shot = (page: Page, name: string) => screenshot(page, engine.screenshotPrefix + name);
  let dev: Awaited<ReturnType<typeof startDevServer>>;
  let browser: Browser;
  let app: Page;
  let live: Page;
  const problems: string[] = [];

  const state = () => liveState(dev.url);
  const load = (info: SnapshotInfo) => loadStoredSnapshot(dev.url, info);
  const newPage = async (url: string) => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`${url}: ${e}`));
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    return page;
  };
  /** Clicks `selector` in the app and waits for the action to finish (body[data-ops] counts them). */
  const act = async (selector: string) => {
    await app.bringToFront();
    const ops = await app.$eval('body', (b) => Number(b.dataset.ops ?? 0));
    await app.click(selector);
    await app.waitForSelector(`body[data-ops="${ops + 1}"]`);
  };
  /** Presses "Take snapshot" for a tab in the live page; resolves to the new snapshot's id. */
  const snapshotFromLivePage = async (tab: string) => {
    await live.bringToFront();
    const count = (await live.$$('.snapshot')).length;
    await live.click(`.tab[data-tab="${tab}"] .take-snapshot`);
    await live.waitForFunction((n) => document.querySelectorAll('.snapshot').length > n, {}, count);
    return Number(await live.$eval('.snapshot', (el) => (el as HTMLElement).dataset.id));
  };

  beforeAll(async () => {
    buildDemoWasm();
    [dev, browser] = await Promise.all([startDevServer(DEMO_DIR), engine.launch()]);
    app = await newPage(dev.url);
    await app.waitForSelector('body[data-ready]', { timeout: 30_000 });
    live = await newPage(`${dev.url}__wasm-tracemalloc/live/`);
    await live.waitForSelector('.tab[data-kind="page"][data-modules="2"]');
  });

  afterAll(async () => {
    await browser?.close();
    await dev?.close();
  });

  it(`live page: snapshot, ${CLICKS} × "Open 100 new profiles", snapshot, Compare: load_profile's malloc tops the diff with exactly ${CLICKS} × 100 × 256 B`, async () => {
    const tab = await live.$eval('.tab[data-kind="page"]', (el) => (el as HTMLElement).dataset.tab!);
    // The demo loads both modules with Promise.all: either may be compiled first.
    const modules = await live.$eval(`.tab[data-tab="${tab}"] .modules`, (el) => el.textContent);
    expect(modules!.split(', ').sort()).toEqual(['profiles.wasm', 'words.wasm']);
    const first = await snapshotFromLivePage(tab);
    for (let i = 0; i < CLICKS; i++) await act('#open-profiles');
    const second = await snapshotFromLivePage(tab);

    // The stored files, read with the model: the diff's top rows are the leak, exactly.
    const { snapshots } = await state();
    const [before, after] = [first, second].map((id) => snapshots.find((s) => s.id === id)!);
    expect([before.tab, after.tab]).toEqual([tab, tab]);
    expect([typeof before.cause, typeof after.cause]).toEqual(['number', 'number']); // the live page's requests
    const diff = (await load(after)).compareTo(await load(before), 'lineno');
    const [top, next] = diff;
    expect([top.sizeDiff, top.countDiff, top.size, top.count]).toEqual([CLICKS * PROFILES_PER_CLICK * PROFILE_SIZE, CLICKS * PROFILES_PER_CLICK, CLICKS * PROFILES_PER_CLICK * PROFILE_SIZE, CLICKS * PROFILES_PER_CLICK]);
    expectFrame(top.traceback.mostRecent, 'load_profile', LOAD_PROFILE_LINE);
    expect([next.sizeDiff, next.countDiff]).toEqual([CLICKS * PROFILES_PER_CLICK * ENTRY_SIZE, CLICKS * PROFILES_PER_CLICK]);
    expectFrame(next.traceback.mostRecent, 'cache_put', CACHE_PUT_LINE);
    expect(diff.slice(2).filter((d) => d.sizeDiff !== 0).map(String)).toEqual([]);
    await shot(live, 'live-page');

    // "Compare with #first" opens the viewer on that diff: the same top row, as tracemalloc prints it.
    const href = await live.$eval(`.snapshot[data-id="${second}"] a.compare`, (a) => (a as HTMLAnchorElement).href);
    expect(href).toContain(`__wasm-tracemalloc/?url=`);
    const viewer = await newPage(href);
    await waitForTable(viewer);
    // One identity: the viewer calls the two snapshots what the live page calls them (the
    // dev server's numbers, its times), in its pickers, its timeline and its Comparing chip.
    await live.bringToFront();
    const liveLabels = await live.$$eval('.snapshot', (els) => Object.fromEntries(els.map((el) => [(el as HTMLElement).dataset.id, [(el as HTMLElement).title, ...['.id', '.when'].map((c) => el.querySelector(c)!.textContent)]])));
    const [beforeLabel, afterLabel] = [liveLabels[first], liveLabels[second]];
    expect(beforeLabel.slice(1)).toEqual([`#${first}`, expect.stringMatching(/^\d\d:\d\d:\d\d$/)]);
    expect(afterLabel[0]).toBe(`#${second} · ${after.name} · ${afterLabel[2]} · ${formatSize(after.current)}`);
    await viewer.bringToFront();
    await viewer.waitForFunction((n) => document.querySelector('select[aria-label="Snapshot"] option')?.textContent?.startsWith(n), { timeout: 10_000 }, `#${first} · `);
    const pickers = await viewer.$$eval('select[aria-label="Snapshot"] option', (els) => els.map((el) => el.textContent));
    expect(pickers).toEqual([beforeLabel[0], afterLabel[0]]);
    const chosen = await viewer.$$eval('header.app-header select', (els) => els.map((el) => (el as HTMLSelectElement).selectedOptions[0]?.textContent));
    expect(chosen).toEqual([afterLabel[0], beforeLabel[0]]);
    expect(await viewer.$eval('.live-compare', (b) => b.textContent)).toBe(`Comparing #${second} with #${first}`);
    const markers = await viewer.$$eval('.timeline .marker', (els) => els.map((el) => [el.querySelector('.marker-label')?.textContent, el.getAttribute('aria-label')]));
    expect(markers.map(([n]) => n)).toEqual([String(first), String(second)]);
    expect(markers[0][1]).toContain(`Snapshot #${first}: ${before.name}, `);
    expect(markers[0][1]).toContain(` at ${beforeLabel[2]} (compared with)`);
    expect(markers[1][1]).toContain(` at ${afterLabel[2]} (selected)`);
    // The file names carry the numbers too.
    expect(new URL(href).searchParams.getAll('url').map((u) => /-(\d+)\.wtmsnap$/.exec(u)?.[1])).toEqual([String(first), String(second)]);
    const [shown] = await rows(viewer);
    expect(shown.text).toBe(String(top));
    expect(shown).toMatchObject({ status: 'new', size: '75.0 KiB', sizeDiff: '+75.0 KiB', count: '300', countDiff: '+300', average: '256 B' });
    await viewer.waitForSelector('.traceback-panel .frame');
    expect((await panelFrames(viewer)).map((f) => f.fn)).toContain('load_profile');
    expect(await viewer.evaluate(() => (globalThis as { wasmTracemallocLive?: { version: number } }).wasmTracemallocLive?.version)).toBe(1);
    await shot(viewer, 'viewer-diff');
    await viewer.close();
  });

  it("the page's own guide (takeSnapshot() in app code) shows the same top row, and its snapshots reach the live page", async () => {
    const before = (await state()).snapshots.length;
    await app.bringToFront();
    await app.click('#take-snapshot');
    await app.waitForSelector('body[data-snapshots="1"]');
    for (let i = 0; i < CLICKS; i++) await act('#open-profiles');
    await app.click('#take-snapshot');
    await app.waitForSelector('body[data-snapshots="2"]');
    const shown = await app.$$eval('#diff .row', (els) => els.map((e) => (e as HTMLElement).title));
    const { snapshots } = await state();
    const mine = snapshots.slice(before);
    expect(mine.map((s) => s.cause)).toEqual(['app', 'app']);
    const expected = (await load(mine[1])).compareTo(await load(mine[0]), 'lineno');
    expect(shown).toEqual(expected.slice(0, 3).map(String));
    expect(expected[0].sizeDiff).toBe(CLICKS * PROFILES_PER_CLICK * PROFILE_SIZE);
    expectFrame(expected[0].traceback.mostRecent, 'load_profile', LOAD_PROFILE_LINE);
    // The link the guide offers is the viewer on these two.
    const link = await app.$eval('#viewer-link', (a) => (a as HTMLAnchorElement).getAttribute('href'));
    expect(link).toBe(`/__wasm-tracemalloc/?${new URLSearchParams([['url', mine[0].url], ['url', mine[1].url], ['snap', '1'], ['base', '0']])}`);
    await live.bringToFront();
    await live.waitForSelector(`.snapshot[data-id="${mine[1].id}"] a.compare`);
    await app.bringToFront();
    await shot(app, 'demo-page');
  });

  it('a worker-hosted module is traced: the worker is its own tab, and its snapshot holds its 500 profiles', async () => {
    await act('#worker-import');
    // 500 × (256 + 20) B = 138,000 B in the worker's own trace table.
    expect(await app.$eval('#worker-out', (el) => el.textContent)).toBe('The worker imported 500 profiles (500 cached there); its traced memory: 135 KiB.');
    await live.bringToFront();
    await live.waitForSelector('.tab[data-kind="worker"][data-modules="1"]');
    const worker = await live.$eval('.tab[data-kind="worker"]', (el) => (el as HTMLElement).dataset.tab!);
    expect(await live.$eval(`.tab[data-tab="${worker}"] strong`, (el) => el.textContent)).toBe('worker profile import');
    // Its samples, streamed over Vite's WebSocket: 500 × (256 + 20) B traced now.
    await live.waitForSelector(`.tab[data-tab="${worker}"][data-current="${500 * (PROFILE_SIZE + ENTRY_SIZE)}"]`);
    const id = await snapshotFromLivePage(worker);
    const info = (await state()).snapshots.find((s) => s.id === id)!;
    expect(info.tab).toBe(worker);
    const snapshot = await load(info);
    expect(snapshot.meta.current).toBe(500 * (PROFILE_SIZE + ENTRY_SIZE));
    const [top, next, ...rest] = snapshot.statistics('lineno');
    expect([top.size, top.count, next.size, next.count, rest.length]).toEqual([500 * PROFILE_SIZE, 500, 500 * ENTRY_SIZE, 500, 0]);
    expectFrame(top.traceback.mostRecent, 'load_profile', LOAD_PROFILE_LINE);
    expectFrame(next.traceback.mostRecent, 'cache_put', CACHE_PUT_LINE);
    // Its own realm, its own table: none of the page's modules.
    expect(snapshot.domains.map((d) => d.name)).toEqual(['profiles.wasm']);
    await shot(live, 'live-page-with-worker');
    expect(problems).toEqual([]);
  });

  it(`the live viewer: "Snapshot now", ${CLICKS} × "Open 100 new profiles", "Snapshot now", Compare: exactly +${CLICKS} × 100 × 256 B at load_profile's malloc; app snapshots arrive too`, async () => {
    const viewer = await newPage(`${dev.url}__wasm-tracemalloc/`);
    await viewer.setViewport({ width: 1360, height: 860 });
    const stored = (await state()).snapshots;
    const pageTab = (await state()).tabs.find((t) => t.kind === 'page')!;
    // The viewer opens what the dev server already holds (the earlier tests' snapshots), then waits.
    const count = () => viewer.$eval('select[aria-label="Snapshot"]', (s) => (s as HTMLSelectElement).options.length);
    const selected = () => viewer.evaluate(() => (window as unknown as { wtmViewer: { app: { state: { snapshot: number; base: number | null } } } }).wtmViewer.app.state);
    const waitForCount = (n: number) => viewer.waitForFunction((k) => document.querySelector<HTMLSelectElement>('select[aria-label="Snapshot"]')?.options.length === k, { timeout: 20_000 }, n);
    await waitForCount(stored.length);
    const tabRow = `.live-tab[data-tab="${pageTab.id}"]`;
    await viewer.waitForSelector(`${tabRow}[data-kind="page"][data-modules="2"]`);
    expect(await viewer.$eval(`${tabRow} .live-label`, (el) => el.textContent)).toBe('wasm-tracemalloc demo');
    expect((await viewer.$eval(`${tabRow} .live-modules`, (el) => el.textContent))!.split(', ').sort()).toEqual(['profiles.wasm', 'words.wasm']);
    const snapshotNow = async () => {
      await viewer.bringToFront();
      const n = await count();
      await viewer.click(`${tabRow} .snapshot-now`);
      await waitForCount(n + 1);
      // The newest is selected as it arrives.
      await viewer.waitForFunction((k) => (window as unknown as { wtmViewer: { app: { state: { snapshot: number } } } }).wtmViewer.app.state.snapshot === k, {}, n);
      return n;
    };
    const first = await snapshotNow();
    const firstId = (await state()).snapshots.at(-1)!.id;
    for (let i = 0; i < CLICKS; i++) await act('#open-profiles');
    const second = await snapshotNow();
    const secondId = (await state()).snapshots.at(-1)!.id;
    expect(second).toBe(first + 1);
    // The dev server's numbers, which the live page shows.
    expect(secondId).toBe(firstId + 1);

    // One click: the new snapshot compared with the tab's previous one.
    const offer = await viewer.waitForSelector('.live-compare:not([hidden])');
    expect(await offer!.evaluate((b) => b.textContent)).toBe(`Compare #${secondId} with #${firstId}`);
    const table = await tableGeneration(viewer);
    await offer!.click();
    await waitForTable(viewer, table);
    expect(await selected()).toMatchObject({ snapshot: second, base: first });
    const [top] = await rows(viewer);
    expect(top.location).toBe(`wasm/profiles.c:${LOAD_PROFILE_LINE}`);
    expect(LOAD_PROFILE_LINE).toBe(75);
    // The page has kept every profile opened since it loaded: the two tests before opened as many.
    const kept = 3 * CLICKS * PROFILES_PER_CLICK;
    expect(top).toMatchObject({ status: 'grown', size: formatSize(kept * PROFILE_SIZE), sizeDiff: '+75.0 KiB', count: String(kept), countDiff: '+300', average: '256 B' });
    expect(CLICKS * PROFILES_PER_CLICK * PROFILE_SIZE).toBe(75 * 1024);
    await viewer.waitForSelector('.traceback-panel .frame');
    const frames = await panelFrames(viewer);
    expect(frames.map((f) => f.fn).slice(0, 2)).toEqual(['load_profile', 'open_profiles']);
    // The source lines, read by the dev server from demo/wasm/profiles.c when it instrumented the module.
    expect(frames.slice(0, 2).map((f) => f.src)).toEqual(['struct profile *p = malloc(sizeof *p);', 'struct profile *p = load_profile(id);']);
    expect(await viewer.$eval('.live-compare', (b) => [b.textContent, (b as HTMLButtonElement).disabled])).toEqual([`Comparing #${secondId} with #${firstId}`, true]);

    // The live bar's "now" is the page's own getTracedMemory(), streamed over Vite's WebSocket.
    // The runtime module the app itself imports (its URL as Vite rewrote it in main.ts): the page's own trace table.
    // (Code as a string: vitest would rewrite a dynamic import in a function.)
    const traced = (await app.evaluate(`(async () => {
      const main = await (await fetch('/src/main.ts')).text();
      const runtime = /from\\s*["']([^"']*runtime[^"']*)["']/.exec(main)[1];
      const { getTracedMemory } = await import(runtime);
      return getTracedMemory()[0];
    })()`)) as number;
    expect(traced).toBeGreaterThan(CLICKS * PROFILES_PER_CLICK * PROFILE_SIZE);
    await viewer.waitForSelector(`${tabRow}[data-current="${traced}"]`, { timeout: 10_000 });
    expect(await viewer.$eval(`${tabRow} .live-current`, (el) => el.textContent)).toBe(formatSize(traced));
    expect(await viewer.$eval(`${tabRow} .live-spark`, (el) => Number(el.getAttribute('data-points')))).toBeGreaterThan(0);
    // The timeline draws the tabs' streamed samples, the snapshots on them.
    expect(await viewer.$$eval('.timeline path.current-line', (ps) => ps.length)).toBeGreaterThan(0);
    await viewer.bringToFront();
    await shot(viewer, 'viewer-live');

    // A snapshot taken by app code (takeSnapshot() behind the demo's own button) arrives without a reload.
    const appSnapshots = await app.$eval('body', (b) => Number(b.dataset.snapshots ?? 0));
    await app.bringToFront();
    await app.click('#take-snapshot');
    await app.waitForSelector(`body[data-snapshots="${appSnapshots + 1}"]`);
    // Back to the viewer, as a person would: a background page gets no animation
    // frames, and waitForFunction polls on them (this flaked whenever the snapshot
    // arrived after the wait began).
    await viewer.bringToFront();
    await waitForCount(second + 2);
    const latest = (await state()).snapshots.at(-1)!;
    expect(latest.cause).toBe('app');
    const newest = await viewer.$eval('select[aria-label="Snapshot"]', (s) => { const el = s as HTMLSelectElement; return el.options[el.options.length - 1].textContent; });
    expect(newest).toMatch(new RegExp(`^#${latest.id} · wasm-tracemalloc demo · takeSnapshot\\(\\) · \\d\\d:\\d\\d:\\d\\d · `));
    // The live page's label for it, word for word.
    await live.bringToFront();
    await live.waitForSelector(`.snapshot[data-id="${latest.id}"]`);
    expect(await live.$eval(`.snapshot[data-id="${latest.id}"]`, (el) => (el as HTMLElement).title)).toBe(newest);
    await viewer.bringToFront();
    await viewer.waitForFunction((k) => (window as unknown as { wtmViewer: { app: { state: { snapshot: number } } } }).wtmViewer.app.state.snapshot === k, {}, second + 1);
    expect(await selected()).toMatchObject({ snapshot: second + 1, base: null });
    expect(await viewer.$eval('.live-compare', (b) => b.textContent)).toBe(`Compare #${latest.id} with #${secondId}`);
    expect(await viewer.$$eval('.errors .error-text', (els) => els.map((e) => e.textContent))).toEqual([]);
    expect(problems).toEqual([]);
    await viewer.close();
  });
});
