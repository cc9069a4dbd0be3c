// show --web: the built viewer on 127.0.0.1, opened on snapshot files, serving those
// files and the viewer's own and nothing else.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { buildPath } from './fixtures/facts.js';
import { cliRunner, tempDir } from './cli-helpers.js';
import { ensureViewerBuilt, launchChromium } from '../packages/viewer/harness/browser.mjs';

const tmp = tempDir('wtm-cli-web-');
const runner = cliRunner(join(tmp, 'cache'));
const before = join(tmp, 'before.wtmsnap');
const after = join(tmp, 'after.wtmsnap');

/** A raw GET, so that `..` and odd Host headers reach the server as written (fetch would normalize them). */
function rawGet(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: Buffer; type?: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('wasm-tracemalloc show --web', () => {
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    ensureViewerBuilt();
    // before: leak.wasm's end (everything freed); after: leak_cli.wasm's 1000 blocks at leak_cli.c:17.
    expect(runner.run(['run', buildPath('leak.wasm'), '--snapshot', before]).status).toBe(3);
    expect(runner.run(['run', buildPath('leak_cli.wasm'), '--snapshot', after]).status).toBe(0);
    server = runner.spawn(['show', '--web', before, after]);
    let stdout = '';
    url = await new Promise<string>((resolve, reject) => {
      server.stdout!.on('data', (c: Buffer) => {
        stdout += c;
        const m = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/\S*)$/m.exec(stdout);
        if (m) resolve(m[1]!);
      });
      server.on('exit', (code) => reject(new Error(`show --web exited ${code}: ${stdout}`)));
    });
  }, 120_000);

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('prints the page opened on both snapshots, the second compared with the first', () => {
    const u = new URL(url);
    expect(u.searchParams.getAll('url')).toEqual(['snapshots/0/before.wtmsnap', 'snapshots/1/after.wtmsnap']);
    expect(u.searchParams.get('snap')).toBe('1');
    expect(u.searchParams.get('base')).toBe('0');
  });

  it('serves the built viewer and the named snapshots byte for byte', async () => {
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>wasm-tracemalloc viewer</title>');
    const script = /<script type="module" crossorigin src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(new URL(script, url));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    for (const [i, file] of [before, after].entries()) {
      const snap = await fetch(new URL(`snapshots/${i}/${file.split('/').pop()}`, url));
      expect(snap.status).toBe(200);
      expect(Buffer.from(await snap.arrayBuffer()).equals(readFileSync(file))).toBe(true);
    }
  });

  it('serves nothing else: no traversal, no other host, GET only', async () => {
    for (const path of ['/../package.json', '/assets/../../package.json', '/%2e%2e/%2e%2e/package.json', '/snapshots/0/..%2f..%2fbefore.wtmsnap', '/snapshots/2/after.wtmsnap', '/snapshots/0/after.wtmsnap', `/${tmp}/after.wtmsnap`]) {
      expect((await rawGet(url, path)).status, path).toBe(404);
    }
    expect((await rawGet(url, '/', { host: 'attacker.example' })).status).toBe(403);
    expect((await rawGet(url, '/', {}, 'POST')).status).toBe(405);
  });

  it('shows the diff in Chromium: the 1000 leaked blocks at leak_cli.c:17', async () => {
    const browser = await launchChromium({ width: 1400, height: 900 });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(() => document.body.innerText.includes('leak_cli.c:17'), { timeout: 30_000 });
      const text = await page.evaluate(() => document.body.innerText);
      expect(text).toContain('97.7 KiB');
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('refuses a damaged snapshot before serving anything', () => {
    const bad = join(tmp, 'bad.wtmsnap');
    writeFileSync(bad, readFileSync(after).subarray(0, 40));
    const r = runner.run(['show', '--web', bad]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^wasm-tracemalloc show: ${bad} is truncated: `));
  });
});
