/**
 * Everything under `<base>__wasm-tracemalloc/` on the dev server:
 *
 *   ./                         the live viewer: its built dist/, with the module that hands it
 *                              the live channel (its Live bar: tabs, "Snapshot now", snapshots as they come)
 *   ./live/                    the plugin's live page: tabs, "Take snapshot", snapshots
 *   ./snapshots/               JSON: { tabs, snapshots } (SnapshotInfo[])
 *   ./snapshots/<id>/<name>.wtmsnap   a snapshot a tab sent (the name is for people)
 *   ./<file>                   the viewer's other files
 *
 * When the viewer's page is missing, `./` is the live page with a note saying why and
 * what to do (the same note as `./live/`).
 * Only the dev server's own origin may read these: a request another site makes
 * (Sec-Fetch-Site cross-site or same-site, or an Origin that is not this server's)
 * gets 403. Vite has already checked the Host header (server.allowedHosts).
 */

import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { Connect } from 'vite';
import { MOUNT } from '../protocol.js';
import type { LiveHub } from './live-hub.js';
import { INJECTED } from './injected-modules.js';

export interface EndpointOptions {
  /** Vite's base, ending in '/'. */
  base: string;
  https: boolean;
  hub: LiveHub;
  /** The viewer's dist/ directory; undefined when the package is not installed. */
  viewerDist: string | undefined;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

export function endpoints(options: EndpointOptions): Connect.NextHandleFunction {
  const prefix = `${options.base}${MOUNT}`;
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://vite.invalid');
    const path = url.pathname;
    if (path === prefix.slice(0, -1)) return redirect(res, prefix + url.search);
    if (!path.startsWith(prefix)) return next();
    if (!sameOrigin(req, options.https)) {
      return send(res, 403, 'text/plain; charset=utf-8', `wasm-tracemalloc: ${prefix} is only served to pages of this dev server's own origin.\n`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'GET only\n');
    let rest: string;
    try {
      rest = decodeURIComponent(path.slice(prefix.length));
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'bad path\n');
    }

    if (rest === 'live') return redirect(res, `${prefix}live/`);
    if (rest === 'live/') return send(res, 200, TYPES['.html'], livePage(options.base, viewerIndex(options.viewerDist) ? prefix : undefined, options.viewerDist));
    if (rest === 'snapshots/' || rest === 'snapshots') {
      return send(res, 200, TYPES['.json'], JSON.stringify({ tabs: options.hub.tabs, snapshots: options.hub.snapshots }));
    }
    const snapshot = /^snapshots\/(\d{1,9})\/[^/]*\.wtmsnap$/.exec(rest);
    if (snapshot) {
      const bytes = options.hub.snapshotBytes(Number(snapshot[1]));
      if (!bytes) return send(res, 404, 'text/plain; charset=utf-8', `wasm-tracemalloc: no snapshot ${snapshot[1]} on this dev server (it keeps the latest 200; a restart forgets them)\n`);
      return send(res, 200, 'application/octet-stream', bytes);
    }

    const index = viewerIndex(options.viewerDist);
    if (rest === '' || rest === 'index.html') {
      if (!index) return send(res, 200, TYPES['.html'], livePage(options.base, undefined, options.viewerDist));
      return send(res, 200, TYPES['.html'], withLiveChannel(readFileSync(index, 'utf8'), options.base));
    }
    if (!options.viewerDist) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    const file = normalize(join(options.viewerDist, rest));
    if (!file.startsWith(normalize(options.viewerDist) + sep) || !isFile(file)) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  };
}

/** True unless the browser says another site made the request. */
export function sameOrigin(req: IncomingMessage, https: boolean): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${https ? 'https' : 'http'}://${req.headers.host}`) return false;
  return true;
}

function viewerIndex(dist: string | undefined): string | undefined {
  if (!dist) return undefined;
  const index = join(dist, 'index.html');
  return isFile(index) ? index : undefined;
}

/** The viewer's page, with the module that hands it the live channel running first. */
function withLiveChannel(html: string, base: string): string {
  const tag = `<script type="module" src="${base}${INJECTED.viewerChannel}"></script>\n`;
  const at = html.search(/<script\b/i);
  return at < 0 ? html.replace(/<\/head>/i, `${tag}</head>`) : html.slice(0, at) + tag + html.slice(at);
}

/**
 * Why the viewer's page is missing, and what fixes it, for the one reading the note: in
 * this repository the viewer is built from source; from npm its package ships dist/
 * and is a dependency of this plugin, so only a broken install lacks it.
 */
function missingViewerNote(dist: string | undefined): string {
  const compare = `or open the snapshots below in the terminal with <code>npx wasm-tracemalloc show after.wtmsnap --compare before.wtmsnap</code>`;
  if (dist === undefined) {
    return `The viewer could not be found: <code>@wasm-tracemalloc/viewer</code>, which <code>@wasm-tracemalloc/vite-plugin</code> depends on, does not resolve from the plugin. Reinstall the plugin (<code>npm install -D @wasm-tracemalloc/vite-plugin</code>), ${compare}.`;
  }
  const index = `<code>${escapeHtml(join(dist, 'index.html'))}</code>`;
  // Only a checkout has the viewer's sources beside dist/: the package ships dist/ alone.
  if (isFile(join(dist, '..', 'vite.config.ts'))) {
    return `The viewer is not built (no ${index}). Build it with <code>pnpm --filter @wasm-tracemalloc/viewer run build</code>, ${compare}.`;
  }
  return `The installed viewer is incomplete (no ${index}). Reinstall it (<code>npm install -D @wasm-tracemalloc/vite-plugin</code>, or remove <code>node_modules</code> and install again), ${compare}.`;
}

function livePage(base: string, viewer: string | undefined, viewerDist: string | undefined): string {
  const note =
    viewer === undefined
      ? `<p class="note">${missingViewerNote(viewerDist)}</p>`
      : `<p class="intro">Take a snapshot, use the app, take another, then <em>Compare</em>: the viewer opens the diff, largest change first. <a href="${viewer}">Open the viewer</a></p>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>wasm-tracemalloc · live</title>
<link rel="icon" href="data:,">
<style>${LIVE_CSS}</style>
</head>
<body>
<header><h1>wasm-tracemalloc <span>live</span></h1></header>
${note}
<main id="live" data-viewer="${viewer ?? ''}"></main>
<script type="module" src="${base}${INJECTED.livePage}"></script>
</body>
</html>
`;
}

const LIVE_CSS = `
:root { font: 14px/1.45 system-ui, sans-serif; --fg: #1d2330; --muted: #667085; --line: #e3e6ec; --card: #fff; --bg: #f6f7f9; --accent: #2563eb; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ee; --muted: #98a2b3; --line: #2b3140; --card: #171b24; --bg: #0f1218; --accent: #6ea0ff; } }
body { margin: 0 auto; max-width: 980px; padding: 24px; background: var(--bg); color: var(--fg); }
h1 { font-size: 20px; margin: 0 0 8px; } h1 span { color: var(--accent); font-weight: 500; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 24px 0 8px; }
.note { border: 1px solid #f5c56b; background: #fff7e6; color: #6b4a00; padding: 10px 14px; border-radius: 8px; }
@media (prefers-color-scheme: dark) { .note { background: #2a2110; color: #f5d48a; border-color: #6b5220; } }
.intro { color: var(--muted); } a { color: var(--accent); }
code { font: 12.5px ui-monospace, monospace; }
.tab { display: grid; grid-template-columns: 1fr auto 240px auto; gap: 16px; align-items: center; background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; margin-bottom: 8px; }
.who { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; min-width: 0; }
.kind { font-size: 11px; text-transform: uppercase; letter-spacing: .05em; padding: 1px 6px; border-radius: 4px; background: #e0e7ff; color: #3730a3; }
.kind.worker { background: #dcfce7; color: #166534; }
.modules { color: var(--muted); font-family: ui-monospace, monospace; font-size: 12.5px; flex-basis: 100%; }
.memory { text-align: right; font-variant-numeric: tabular-nums; } .memory .current { display: block; font-size: 16px; font-weight: 600; } .memory .peak { color: var(--muted); font-size: 12px; } .memory .sampled { display: block; color: #b45309; font-size: 11.5px; }
.chart { display: block; width: 240px; height: 44px; } .chart .current { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.chart .peak { fill: none; stroke: #d97706; stroke-width: 1; stroke-dasharray: 3 2; } .chart .max { fill: var(--muted); font-size: 9px; }
button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button[disabled] { opacity: .45; cursor: default; }
.snapshots { list-style: none; padding: 0; margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
.snapshot, .none { display: grid; grid-template-columns: 44px 1fr 90px 110px 250px; gap: 12px; padding: 8px 14px; border-top: 1px solid var(--line); align-items: baseline; font-variant-numeric: tabular-nums; }
.snapshot:first-child, .none:first-child { border-top: 0; } .none { display: block; color: var(--muted); } .none[hidden] { display: none; }
.snapshot .id, .snapshot .when, .snapshot .size { color: var(--muted); } .links { display: flex; gap: 12px; justify-content: end; }
.status:empty { display: none; } .status { color: var(--muted); }
.problems { list-style: none; padding: 0; margin: 0 0 8px; } .problems:empty { display: none; }
.problem { border: 1px solid #f3b4ae; background: #fef3f2; color: #912018; padding: 8px 14px; border-radius: 8px; margin-bottom: 6px; }
@media (prefers-color-scheme: dark) { .problem { background: #2d1413; color: #fda29b; border-color: #7a271a; } }
.untraced { list-style: none; padding: 0; margin: 0 0 8px; } .untraced:empty { display: none; }
.untraced-module { border: 1px solid #f5c56b; background: #fff7e6; color: #6b4a00; padding: 6px 14px; border-radius: 8px; margin-bottom: 6px; font-family: ui-monospace, monospace; font-size: 12.5px; cursor: help; }
@media (prefers-color-scheme: dark) { .untraced-module { background: #2a2110; color: #f5d48a; border-color: #6b5220; } }
`;

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location }).end();
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}
