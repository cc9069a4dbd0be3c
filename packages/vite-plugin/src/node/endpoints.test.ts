import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpoints } from './endpoints.js';
import type { LiveHub } from './live-hub.js';

interface Answer {
  status: number;
  headers: Record<string, string | number>;
  body: string;
  next: boolean;
}

/** Runs the middleware on one request. */
function request(handler: ReturnType<typeof endpoints>, url: string, headers: Record<string, string> = {}): Answer {
  const answer: Answer = { status: 0, headers: {}, body: '', next: false };
  const res = {
    writeHead(status: number, h: Record<string, string | number> = {}) {
      answer.status = status;
      answer.headers = h;
      return res;
    },
    end(body?: string | Uint8Array) {
      answer.body = body === undefined ? '' : Buffer.from(body).toString('latin1');
    },
  };
  handler({ url, method: 'GET', headers: { host: 'localhost:5173', ...headers } } as IncomingMessage, res as unknown as ServerResponse, () => void (answer.next = true));
  return answer;
}

const hub = {
  tabs: [],
  snapshots: [{ id: 1 }],
  snapshotBytes: (id: number) => (id === 1 ? new TextEncoder().encode('WTMSNAP\0…') : undefined),
} as unknown as LiveHub;

describe('the /__wasm-tracemalloc/ endpoints', () => {
  let dist: string;
  beforeAll(() => {
    dist = mkdtempSync(join(tmpdir(), 'wtm-viewer-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><head><title>viewer</title><script type="module" crossorigin src="./assets/index.js"></script></head>');
    writeFileSync(join(dist, 'assets/index.js'), 'console.log(1)');
  });
  afterAll(() => {
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  const withViewer = () => endpoints({ base: '/', https: false, hub, viewerDist: dist });

  it("serves the built viewer with the live channel's module first, and its files", () => {
    const index = request(withViewer(), '/__wasm-tracemalloc/');
    expect(index.status).toBe(200);
    expect(index.body).toBe('<!doctype html><head><title>viewer</title><script type="module" src="/@wasm-tracemalloc/viewer-channel.js"></script>\n<script type="module" crossorigin src="./assets/index.js"></script></head>');
    expect(request(withViewer(), '/__wasm-tracemalloc/assets/index.js')).toMatchObject({ status: 200, body: 'console.log(1)', headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    expect(request(withViewer(), '/__wasm-tracemalloc/..%2f..%2fetc%2fpasswd').status).toBe(404);
    expect(request(withViewer(), '/__wasm-tracemalloc/%2e%2e/secret').next).toBe(true); // that is /secret: not ours
    expect(request(withViewer(), '/__wasm-tracemalloc').status).toBe(302);
    expect(request(withViewer(), '/src/main.ts').next).toBe(true);
  });

  it('without the viewer, serves the live page with a note that says why and what to do, for a checkout and for an install', () => {
    // A checkout: the viewer's sources beside its dist/, which is not built.
    const checkout = mkdtempSync(join(tmpdir(), 'wtm-viewer-checkout-'));
    writeFileSync(join(checkout, 'vite.config.ts'), 'export default {}\n');
    // An install from npm whose dist/ is gone: the package alone.
    const installed = mkdtempSync(join(tmpdir(), 'wtm-viewer-installed-'));
    const cases: Array<[string | undefined, string]> = [
      [join(checkout, 'dist'), `The viewer is not built (no <code>${join(checkout, 'dist/index.html')}</code>). Build it with <code>pnpm --filter @wasm-tracemalloc/viewer run build</code>`],
      [join(installed, 'dist'), `The installed viewer is incomplete (no <code>${join(installed, 'dist/index.html')}</code>). Reinstall it (<code>npm install -D @wasm-tracemalloc/vite-plugin</code>`],
      [undefined, 'The viewer could not be found: <code>@wasm-tracemalloc/viewer</code>, which <code>@wasm-tracemalloc/vite-plugin</code> depends on, does not resolve from the plugin. Reinstall the plugin'],
    ];
    try {
      for (const [viewerDist, note] of cases) {
        // The viewer's address and the live page say the same.
        for (const path of ['/app/__wasm-tracemalloc/', '/app/__wasm-tracemalloc/live/']) {
          const page = request(endpoints({ base: '/app/', https: false, hub, viewerDist }), path);
          expect(page.status).toBe(200);
          expect(page.body).toContain(`<p class="note">${note}`);
          expect(page.body).toContain('<script type="module" src="/app/@wasm-tracemalloc/live-page.js"></script>');
          expect(page.body).toContain('<main id="live" data-viewer="">');
          if (viewerDist !== join(checkout, 'dist')) expect(page.body).not.toContain('pnpm --filter');
        }
      }
    } finally {
      rmSync(checkout, { recursive: true, force: true });
      rmSync(installed, { recursive: true, force: true });
    }
    const live = request(withViewer(), '/__wasm-tracemalloc/live/');
    expect(live.body).toContain('<main id="live" data-viewer="/__wasm-tracemalloc/">');
    expect(live.body).not.toContain('class="note"');
  });

  it('serves stored snapshots and the state, to its own origin only', () => {
    expect(request(withViewer(), '/__wasm-tracemalloc/snapshots/1/my-app-1.wtmsnap')).toMatchObject({ status: 200, body: 'WTMSNAP\0…'.replace('…', '\xe2\x80\xa6') });
    expect(request(withViewer(), '/__wasm-tracemalloc/snapshots/2/x.wtmsnap').status).toBe(404);
    expect(JSON.parse(request(withViewer(), '/__wasm-tracemalloc/snapshots/').body)).toEqual({ tabs: [], snapshots: [{ id: 1 }] });
    expect(request(withViewer(), '/__wasm-tracemalloc/snapshots/', { origin: 'http://localhost:5173', 'sec-fetch-site': 'same-origin' }).status).toBe(200);
    expect(request(withViewer(), '/__wasm-tracemalloc/snapshots/', { origin: 'http://localhost:3000' }).status).toBe(403);
    expect(request(withViewer(), '/__wasm-tracemalloc/snapshots/1/my-app-1.wtmsnap', { 'sec-fetch-site': 'same-site' }).status).toBe(403);
    expect(request(endpoints({ base: '/', https: true, hub, viewerDist: dist }), '/__wasm-tracemalloc/', { origin: 'http://localhost:5173' }).status).toBe(403);
  });
});
