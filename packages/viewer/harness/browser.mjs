// Node-side harness for the viewer's end-to-end tests and bench/viewer.mjs: build
// the static app if needed, serve it (and fixture files) on 127.0.0.1, and drive
// Debian's Chromium through puppeteer-core. Not part of the app.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

export const VIEWER_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR = join(VIEWER_DIR, 'dist');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** Newest modification time under `dir` (recursive), in ms. */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Runs `vite build` when dist/ is missing or older than the sources. */
export function ensureViewerBuilt() {
  const index = join(DIST_DIR, 'index.html');
  const sourcesTime = Math.max(newest(join(VIEWER_DIR, 'src')), statSync(join(VIEWER_DIR, 'index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sourcesTime) return;
  const vite = join(VIEWER_DIR, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: VIEWER_DIR, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`viewer build failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * Serves the built viewer at / and each `mounts` directory at /<name>/ on
 * 127.0.0.1 with a random port. Returns { url, close }.
 */
export async function serveViewer(mounts = {}) {
  const roots = [['', DIST_DIR], ...Object.entries(mounts).map(([name, dir]) => [`${name}/`, dir])];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    // Longest mount prefix first, so /fixtures/… is not looked up in dist/.
    const [prefix, dir] = roots.filter(([p]) => path.startsWith(p)).sort((a, b) => b[0].length - a[0].length)[0];
    const rel = path.slice(prefix.length) || 'index.html';
    const file = normalize(join(dir, rel));
    if (!file.startsWith(resolve(dir) + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    // Whole files in one write: streaming 64 KB chunks made a 24 MB snapshot take
    // 0.5-1 s to arrive, which is the server's cost, not the viewer's.
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/**
 * Launches headless Chromium with a fresh profile. The network flags keep it from
 * stalling on a closed network (component updates, sync, QUIC probes). `args`: more
 * command-line flags (bench/churn-browser.mjs passes --js-flags=--expose-gc).
 */
export async function launchChromium({ width = 1440, height = 900, args = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'wtm-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--font-render-hinting=none',
      ...args,
    ],
    defaultViewport: { width, height },
    protocolTimeout: 60_000,
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return browser;
}

/**
 * The browsers puppeteer drives here, for the tests that run in each: `launch` and
 * `launchDark` take launchChromium's or launchFirefox's size options. Over BiDi,
 * puppeteer cannot emulate prefers-color-scheme per page, so Firefox has
 * `launchDark` (a browser launched dark) instead of `emulatesMedia`.
 */
export const BROWSERS = [
  { name: 'Chromium', engine: 'V8', executable: CHROMIUM, userAgent: /Chrome\/\d+/, screenshotPrefix: '', emulatesMedia: true, launch: (options) => launchChromium(options) },
  {
    name: 'Firefox',
    engine: 'SpiderMonkey',
    executable: FIREFOX,
    userAgent: /Firefox\/\d+/,
    screenshotPrefix: 'firefox-',
    emulatesMedia: false,
    launch: (options) => launchFirefox(options),
    launchDark: (options) => launchFirefox({ ...options, prefs: { 'layout.css.prefers-color-scheme.content-override': 0 } }),
  },
];

/**
 * Launches headless Firefox (Debian's firefox-esr) through WebDriver BiDi, with a
 * fresh profile that puppeteer makes and removes. The prefs keep it off the network
 * and give performance.now() its full precision (bench/browser.mjs times with it).
 * `protocolTimeout`: how long one call into the page may take (a bench page runs
 * for minutes). `prefs`: more about:config prefs (over BiDi, puppeteer cannot
 * emulate a dark color scheme per page; a pref does it for the whole browser).
 */
export async function launchFirefox({ width = 1440, height = 900, protocolTimeout = 60_000, prefs = {} } = {}) {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    defaultViewport: { width, height },
    protocolTimeout,
    extraPrefsFirefox: {
      'privacy.reduceTimerPrecision': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'app.update.disabledForTesting': true,
      'browser.safebrowsing.update.enabled': false,
      ...prefs,
    },
  });
}
