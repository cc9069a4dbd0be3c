// The demo through `vite build`: with its own config (wasmTracemalloc({ build: true }))
// every .wasm in the output is instrumented and the built app, served as plain static
// files, traces its page and its worker; with wasmTracemalloc() and no `build: true`
// the output is not traced at all. Screenshot to test-output/demo/.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROWSERS, build, buildDemoWasm, DEMO_DIR, serveStatic, type Browser } from '../packages/vite-plugin/harness/e2e.mjs';
import wasmTracemalloc from '../packages/vite-plugin/dist/node/index.js';
import { hasWebKit, webKitSession } from './webkit-session.js';

const SCREENSHOTS = fileURLToPath(new URL('../test-output/demo/', import.meta.url));
const SITE_SECTION = 'wasm-tracemalloc.sites';
const CLICKS = 2;
const hasSiteTable = (file: string) => WebAssembly.Module.customSections(new WebAssembly.Module(readFileSync(file)), SITE_SECTION).length === 1;

describe('demo built with vite build', () => {
  let dir: string;
  let traced: string;
  let untraced: string;

  beforeAll(async () => {
    buildDemoWasm();
    dir = mkdtempSync(join(tmpdir(), 'wtm-demo-build-'));
    traced = join(dir, 'traced');
    untraced = join(dir, 'untraced');
    await build({ root: DEMO_DIR, logLevel: 'warn', build: { outDir: traced, emptyOutDir: true } });
    await build({ root: DEMO_DIR, configFile: false, logLevel: 'warn', plugins: [wasmTracemalloc()], build: { outDir: untraced, emptyOutDir: true } });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const assets = (out: string, ext: string) =>
    readdirSync(join(out, 'assets'))
      .filter((f) => f.endsWith(ext))
      .map((f) => join(out, 'assets', f));

  it('with build: true, every .wasm the build writes carries a site table, and the worker bundle the runtime', () => {
    const wasm = assets(traced, '.wasm').map((f) => f.split('/').pop()!.replace(/-[\w-]{8}\.wasm$/, '.wasm'));
    expect(wasm.sort()).toEqual(['profiles.wasm', 'words.wasm']); // the page's and the worker's profiles.wasm are one file
    for (const f of assets(traced, '.wasm')) expect(hasSiteTable(f), f).toBe(true);
    const worker = assets(traced, '.js').filter((f) => /import-worker-/.test(f));
    expect(worker).toHaveLength(1);
    expect(readFileSync(worker[0], 'utf8')).toContain('"wasm-tracemalloc"'); // the runtime's import namespace: install() is in
  });

  it('without build: true, the build writes the .wasm files untouched', () => {
    const files = assets(untraced, '.wasm');
    expect(files).toHaveLength(2);
    for (const f of files) expect(hasSiteTable(f), f).toBe(false);
  });

  for (const engine of BROWSERS) describe.skipIf(!existsSync(engine.executable))(`served as static files, in ${engine.name}`, () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await engine.launch();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it(`traces the page (snapshot, ${CLICKS} clicks, snapshot: load_profile's malloc on top with ${CLICKS} × 25.0 KiB) and the worker`, async () => {
      const site = await serveStatic(traced);
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(site.url);
        await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
        await page.click('#take-snapshot');
        await page.waitForSelector('body[data-snapshots="1"]');
        for (let i = 1; i <= CLICKS; i++) {
          await page.click('#open-profiles');
          await page.waitForSelector(`body[data-ops="${i}"]`);
        }
        await page.click('#take-snapshot');
        await page.waitForSelector('body[data-snapshots="2"]');
        const [top, next] = await page.$$eval('#diff .row', (els) => els.map((e) => (e as HTMLElement).title));
        // Frames name the built asset (profiles-<hash>.wasm) when not symbolized.
        const at = (fn: string) => `(\\S*profiles\\.c:\\d+|profiles-[\\w-]+\\.wasm:${fn}\\+0x[0-9a-f]+)`;
        expect(top).toMatch(new RegExp(`^${at('load_profile')}: size=50\\.0 KiB \\(\\+50\\.0 KiB\\), count=200 \\(\\+200\\), average=256 B$`));
        expect(next).toMatch(new RegExp(`^${at('cache_put')}: size=4000 B \\(\\+4000 B\\), count=200 \\(\\+200\\), average=20 B$`));
        // No dev server: no live page, no viewer link.
        expect(await page.$('#live-link')).toBeNull();
        expect(await page.$eval('#viewer-link-line', (el) => (el as HTMLElement).hidden)).toBe(true);

        await page.click('#worker-import');
        await page.waitForSelector(`body[data-ops="${CLICKS + 1}"]`);
        expect(await page.$eval('#worker-out', (el) => el.textContent)).toBe('The worker imported 500 profiles (500 cached there); its traced memory: 135 KiB.');
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOTS, `${engine.screenshotPrefix}built-demo.png`) as `${string}.png`, fullPage: true });
        expect(errors).toEqual([]);
        await page.close();
      } finally {
        await site.close();
      }
    });

    it('without build: true, the built page is not traced and says so', async () => {
      const site = await serveStatic(untraced);
      try {
        const page = await browser.newPage();
        await page.goto(site.url);
        await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
        await page.click('#open-profiles');
        await page.waitForSelector('body[data-ops="1"]');
        expect(await page.$eval('#snapshot-status', (el) => el.textContent)).toBe('This build is not traced: build it with wasmTracemalloc({ build: true }).');
        expect(await page.$eval('#take-snapshot', (el) => (el as HTMLButtonElement).disabled)).toBe(true);
        expect(await page.$eval('#traced-current', (el) => el.textContent)).toBe('0 B');
        await page.close();
      } finally {
        await site.close();
      }
    });
  });

  // WebKitGTK (JavaScriptCore, Safari's engine) over WebDriver: the same clicks, as page scripts.
  describe.skipIf(!hasWebKit())('served as static files, in WebKitGTK', () => {
    const webkit = webKitSession();

    /** Clicks `selector`, then waits until body[data-KEY] reaches `value`. */
    const clickAndWait = (selector: string, key: string, value: number) =>
      webkit().until(`
        if (!window.__clicked) { window.__clicked = true; document.querySelector(${JSON.stringify(selector)}).click(); }
        if (document.body.dataset.${key} !== ${JSON.stringify(String(value))}) return;
        window.__clicked = false;
        return true;`);

    it(`traces the page (snapshot, ${CLICKS} clicks, snapshot: load_profile's malloc on top with ${CLICKS} × 25.0 KiB) and the worker`, async () => {
      const site = await serveStatic(traced);
      try {
        await webkit().goto(site.url);
        await webkit().until('return document.body.dataset.ready !== undefined ? true : undefined;', { timeoutMs: 30_000 });
        await clickAndWait('#take-snapshot', 'snapshots', 1);
        for (let i = 1; i <= CLICKS; i++) await clickAndWait('#open-profiles', 'ops', i);
        await clickAndWait('#take-snapshot', 'snapshots', 2);
        const [top, next] = await webkit().until<string[]>("return [...document.querySelectorAll('#diff .row')].map((e) => e.title);");
        const at = (fn: string) => `(\\S*profiles\\.c:\\d+|profiles-[\\w-]+\\.wasm:${fn}\\+0x[0-9a-f]+)`;
        expect(top).toMatch(new RegExp(`^${at('load_profile')}: size=50\\.0 KiB \\(\\+50\\.0 KiB\\), count=200 \\(\\+200\\), average=256 B$`));
        expect(next).toMatch(new RegExp(`^${at('cache_put')}: size=4000 B \\(\\+4000 B\\), count=200 \\(\\+200\\), average=20 B$`));
        await clickAndWait('#worker-import', 'ops', CLICKS + 1);
        expect(await webkit().until<string>("return document.querySelector('#worker-out').textContent;")).toBe('The worker imported 500 profiles (500 cached there); its traced memory: 135 KiB.');
        mkdirSync(SCREENSHOTS, { recursive: true });
        writeFileSync(join(SCREENSHOTS, 'webkit-built-demo.png'), await webkit().screenshot());
      } finally {
        await site.close();
      }
    }, 120_000);
  });
});
