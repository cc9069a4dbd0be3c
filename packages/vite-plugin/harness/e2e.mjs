// Node-side harness for the plugin's and the demo's end-to-end tests (test/vite-plugin*.test.ts,
// test/demo*.test.ts): Vite through its JavaScript API on 127.0.0.1 with a random port,
// a static file server for built apps, and Debian's Chromium through puppeteer-core.
// Not part of the plugin.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Snapshot } from '@wasm-tracemalloc/runtime/model';
import { BROWSERS as VIEWER_BROWSERS, launchChromium as launchViewerChromium } from '../../viewer/harness/browser.mjs';
import { build, createServer, preview } from 'vite';

export { build, createServer, preview };
export const PLUGIN_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DEMO_DIR = fileURLToPath(new URL('../../../demo/', import.meta.url));
export { CHROMIUM } from '../../viewer/harness/browser.mjs';

/** Builds the demo's Wasm from source (a no-op when it is up to date). */
export function buildDemoWasm() {
  const r = spawnSync('bash', [join(DEMO_DIR, 'build-wasm.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`demo/build-wasm.sh failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * A Vite dev server for `root` (its own vite.config.* unless `inline.configFile` says
 * otherwise) on 127.0.0.1 with a random port. Returns { server, url, close }.
 */
export async function startDevServer(root, inline = {}) {
  const server = await createServer({
    root,
    logLevel: process.env.WTM_VITE_LOG ?? 'warn',
    clearScreen: false,
    ...inline,
    server: { host: '127.0.0.1', port: 0, strictPort: false, ...inline.server },
  });
  await server.listen();
  const { port } = server.httpServer.address();
  return { server, url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Serves `dir` as a plain static site (what a built app gets in production). */
export async function serveStatic(dir) {
  const root = resolve(dir);
  const server = createHttpServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path));
    if (file === root || file.endsWith(sep)) file = join(file, 'index.html');
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Headless Chromium with a fresh profile (the viewer's harness), in this harness's window size. */
export function launchChromium() {
  return launchViewerChromium({ width: 1400, height: 900 });
}

/** The viewer harness's BROWSERS, launched in this harness's window size. */
export const BROWSERS = VIEWER_BROWSERS.map((b) => ({ ...b, launch: () => b.launch({ width: 1400, height: 900 }) }));

/** The dev server's live state: its tabs and stored snapshots (the plugin's snapshots/ endpoint). */
export async function liveState(devUrl) {
  return (await fetch(new URL('__wasm-tracemalloc/snapshots/', devUrl))).json();
}

/** A snapshot the dev server stored (a SnapshotInfo of liveState()), loaded with the model. */
export async function loadStoredSnapshot(devUrl, info) {
  return Snapshot.load(new Uint8Array(await (await fetch(new URL(info.url, devUrl))).arrayBuffer()), info.name);
}
