// The dev server against what a module or a page may send it, on a real Vite dev server:
//
// - secrets: a C module built here whose DWARF names `.env` (`#line 1 ".env"`) and a
//   symlink that leads out of server.fs.allow. The site table of the module served
//   must hold neither file's text, while a plain source line is there; each refused
//   file gets one warning naming it and the rule.
// - the live hub's limits: another Node process floods it over the real WebSocket (1,500
//   `tab` messages of 1,000 long module names each, as the reliability campaign did);
//   what it keeps, what `snapshots/` returns and the heap stay bounded, and closing the
//   socket releases the tabs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startDevServer, type Logger } from '../packages/vite-plugin/harness/e2e.mjs';
import wasmTracemalloc from '../packages/vite-plugin/dist/node/index.js';
import { MAX_MODULES_PER_TAB, MAX_TABS, MAX_TABS_PER_CONNECTION } from '../packages/vite-plugin/dist/node/live-hub.js';
import { siteTableOf } from '../packages/runtime/dist/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'test-output/vite-plugin-hardening-app');
const SECRET = 'SECRET_API_KEY=sk-live-4f9a1c0e7d2b';
const OUTSIDE_SECRET = 'OUTSIDE_TOKEN=ghp_0123456789abcdef';

const SECRETS_C = `#include <stdlib.h>

static void *kept[3];

__attribute__((export_name("keep_plain"))) void keep_plain(void) {
  kept[0] = malloc(24); // a plain source line
}
#line 1 ".env"
__attribute__((export_name("keep_env"))) void keep_env(void) { kept[1] = malloc(40); }
#line 1 "src/linked.c"
__attribute__((export_name("keep_linked"))) void keep_linked(void) { kept[2] = malloc(56); }
`;

function run(command: string, args: string[], cwd: string): void {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

/** The app: public/secrets.wasm built from src/secrets.c in the app's folder (DWARF paths under it), .env, and src/linked.c → a file outside the workspace. */
function makeApp(outside: string): void {
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(join(APP, 'src'), { recursive: true });
  mkdirSync(join(APP, 'public'), { recursive: true });
  writeFileSync(join(APP, 'src/secrets.c'), SECRETS_C);
  writeFileSync(join(APP, '.env'), `${SECRET}\n`);
  writeFileSync(join(outside, 'token.txt'), `${OUTSIDE_SECRET}\n`);
  symlinkSync(join(outside, 'token.txt'), join(APP, 'src/linked.c'));
  writeFileSync(join(APP, 'index.html'), '<!doctype html><title>hardening app</title>\n');
  // Compiled, then linked without an -O flag (test/fixtures/build.sh says why).
  run('clang-19', ['--target=wasm32-wasi', '-O0', '-g', '-c', '-o', 'secrets.o', 'src/secrets.c'], APP);
  run('clang-19', ['--target=wasm32-wasi', '-mexec-model=reactor', '-o', 'public/secrets.wasm', 'secrets.o'], APP);
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info() {},
    warn: (msg: string) => void warnings.push(msg),
    warnOnce: (msg: string) => void warnings.push(msg),
    error: (msg: string) => void warnings.push(msg),
    clearScreen() {},
    hasErrorLogged: () => false,
    hasWarned: false,
  };
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('vite plugin hardening', () => {
  let outside: string;
  let cacheDir: string;
  let dev: Awaited<ReturnType<typeof startDevServer>>;
  const logger = recordingLogger();

  beforeAll(async () => {
    outside = mkdtempSync(join(tmpdir(), 'wtm-outside-'));
    cacheDir = mkdtempSync(join(tmpdir(), 'wtm-hardening-cache-'));
    makeApp(outside);
    dev = await startDevServer(APP, { configFile: false, cacheDir, customLogger: logger, plugins: [wasmTracemalloc()] });
  });

  afterAll(async () => {
    await dev?.close();
    rmSync(outside, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('serves a module whose DWARF names .env and a symlink out of the workspace without their text, and a plain source line with it', async () => {
    // Vite's own rule, which the plugin follows.
    expect((await fetch(new URL('.env', dev.url))).status).toBe(403);

    const response = await fetch(new URL('secrets.wasm', dev.url));
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).not.toContain('sk-live-4f9a1c0e7d2b');
    expect(text).not.toContain('ghp_0123456789abcdef');

    const table = siteTableOf(bytes, 'secrets.wasm');
    expect(table).toBeDefined();
    const callSite = (fn: string) => {
      const site = table!.sites.find((s) => s.kind === 'call' && s.name === fn);
      expect(site, `the call site in ${fn}`).toBeDefined();
      return site!.frames!.at(-1)!;
    };
    expect(callSite('keep_plain')).toMatchObject({ line: 6, function: 'keep_plain', source: 'kept[0] = malloc(24); // a plain source line' });
    expect(callSite('keep_plain').file).toMatch(/src\/secrets\.c$/);
    // File and line stay: only the text is withheld.
    const env = callSite('keep_env');
    expect(env).toMatchObject({ line: 1, function: 'keep_env' });
    expect(env.file).toMatch(/(^|\/)\.env$/);
    expect(env.source).toBeUndefined();
    const linked = callSite('keep_linked');
    expect(linked).toMatchObject({ line: 1, function: 'keep_linked' });
    expect(linked.file).toMatch(/src\/linked\.c$/);
    expect(linked.source).toBeUndefined();
    const sources = table!.sites.flatMap((s) => s.frames ?? []).map((f) => f.source ?? '');
    expect(sources.filter((s) => s.includes('SECRET_API_KEY') || s.includes('OUTSIDE_TOKEN'))).toEqual([]);

    const refusals = () => logger.warnings.filter((w) => w.includes('not read for source lines'));
    expect(refusals()).toEqual([
      expect.stringContaining('wasm-tracemalloc: warning: public/secrets.wasm: its debug info names .env, which is not read for source lines: it matches server.fs.deny pattern ".env"'),
      expect.stringContaining(`wasm-tracemalloc: warning: public/secrets.wasm: its debug info names src/linked.c, which is not read for source lines: it is a symlink to ${join(outside, 'token.txt')}, and it is outside server.fs.allow (${ROOT.replace(/\/$/, '')})`),
    ]);
    // Once: a reload is answered from the cache, with no second warning.
    expect((await fetch(new URL('secrets.wasm', dev.url))).status).toBe(200);
    expect(refusals()).toHaveLength(2);
  });

  it('keeps the live hub bounded under a flood of tab messages over one WebSocket, and releases the tabs when the socket closes', async () => {
    const before = heapMiB();
    const flood = new Flooder(dev.url, dev.server.config.webSocketToken);
    try {
      // One connection announces 1,500 tabs, each naming 1,000 modules of 200 characters.
      const a = await flood.announce(0, 1500);
      expect(a.errors).toEqual([`a page announced more than ${MAX_TABS_PER_CONNECTION} tabs over one connection; the dev server ignores the rest until it reconnects`]);
      const state = await liveState(dev.url);
      expect(state.tabs).toHaveLength(MAX_TABS_PER_CONNECTION);
      expect(state.tabs.map((t) => t.id)).toEqual(Array.from({ length: MAX_TABS_PER_CONNECTION }, (_, i) => `flood-0-${i}`));
      expect(state.tabs.every((t) => t.modules.length === MAX_MODULES_PER_TAB && t.modules.every((m) => m.length === 200))).toBe(true);
      expect(state.json).toBeLessThan(4 * 2 ** 20);
      // The issue measured 940 MB of growth and a 308 MB `snapshots/` here.
      expect(heapMiB() - before).toBeLessThan(40);

      // Other connections, up to the total; then the rest are refused.
      const b = await flood.announce(1, MAX_TABS_PER_CONNECTION);
      expect(b.errors).toEqual([]);
      const c = await flood.announce(2, 10);
      expect(c.errors).toEqual([`the dev server has ${MAX_TABS} open tabs, its limit; it ignores new ones until some close`]);
      expect((await liveState(dev.url)).tabs).toHaveLength(MAX_TABS);

      // A connection cannot speak for another's tab.
      await flood.send(2, { type: 'samples', tab: 'flood-0-0', samples: [{ timestamp: 1, current: 5, peak: 5 }] });
      await flood.roundTrip(2);
      expect((await liveState(dev.url)).tabs.find((t) => t.id === 'flood-0-0')?.last).toBeUndefined();

      await flood.close(0);
      await flood.close(1);
      await waitFor(async () => (await liveState(dev.url)).tabs.length === 0);
      expect(heapMiB() - before).toBeLessThan(15);
      // The closed connections' tabs no longer count against the total.
      const d = await flood.announce(2, 3);
      expect(d.errors).toEqual([]);
      expect((await liveState(dev.url)).tabs.map((t) => t.id)).toEqual(['flood-2-0', 'flood-2-1', 'flood-2-2']);
    } finally {
      await flood.end();
    }
  });
});

async function liveState(devUrl: string): Promise<{ tabs: Array<{ id: string; modules: string[]; last?: unknown }>; json: number }> {
  const text = await (await fetch(new URL('__wasm-tracemalloc/snapshots/', devUrl))).text();
  return { ...JSON.parse(text), json: text.length };
}

async function waitFor(condition: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * WebSocket clients in another Node process (Node 20's WebSocket is behind a flag): each
 * command on its stdin is a JSON line; it answers with a JSON line when done.
 */
class Flooder {
  readonly #child;
  readonly #answers: Array<(line: string) => void> = [];
  #buffer = '';

  constructor(devUrl: string, token: string) {
    const url = `${devUrl.replace(/^http/, 'ws')}?token=${encodeURIComponent(token)}`;
    this.#child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '-e', FLOODER, url], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        this.#answers.shift()?.(line);
      }
    });
  }

  #ask(command: object): Promise<{ errors: string[] }> {
    return new Promise((ok) => {
      this.#answers.push((line) => ok(JSON.parse(line)));
      this.#child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  /** Connection `socket` announces `count` tabs, then waits for the server's answer to a subscribe (so all were handled); the errors the server sent it. */
  announce(socket: number, count: number) {
    return this.#ask({ op: 'announce', socket, count });
  }

  send(socket: number, data: object) {
    return this.#ask({ op: 'send', socket, data });
  }

  roundTrip(socket: number) {
    return this.#ask({ op: 'roundTrip', socket });
  }

  close(socket: number) {
    return this.#ask({ op: 'close', socket });
  }

  async end(): Promise<void> {
    this.#child.stdin.end();
    await new Promise((ok) => (this.#child.exitCode !== null ? ok(undefined) : this.#child.once('exit', ok)));
  }
}

const FLOODER = `
const url = process.argv[1];
const sockets = new Map();
const CLIENT = 'wasm-tracemalloc:client', SERVER = 'wasm-tracemalloc:server';
const modules = Array.from({ length: 1000 }, (_, i) => String(i).padStart(200, 'm'));
async function open(n) {
  if (sockets.has(n)) return sockets.get(n);
  const ws = new WebSocket(url, 'vite-hmr');
  const s = { ws, errors: [], waiting: [] };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type !== 'custom' || m.event !== SERVER) return;
    if (m.data.type === 'error') s.errors.push(m.data.message);
    if (m.data.type === 'state') s.waiting.shift()?.();
  };
  await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
  sockets.set(n, s);
  return s;
}
const send = (s, data) => s.ws.send(JSON.stringify({ type: 'custom', event: CLIENT, data }));
const roundTrip = (s) => new Promise((ok) => { s.waiting.push(ok); send(s, { type: 'subscribe' }); });
let queue = Promise.resolve();
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line);
  queue = queue.then(async () => {
    const s = await open(c.socket);
    if (c.op === 'announce') {
      s.errors = [];
      for (let i = 0; i < c.count; i++) {
        send(s, { type: 'tab', tab: { id: 'flood-' + c.socket + '-' + i, kind: 'page', label: 'flood ' + i, url: 'http://x/' + 'u'.repeat(1990), modules } });
      }
      await roundTrip(s);
    } else if (c.op === 'send') send(s, c.data);
    else if (c.op === 'roundTrip') await roundTrip(s);
    else if (c.op === 'close') { s.ws.close(); await new Promise((ok) => s.ws.addEventListener('close', ok)); sockets.delete(c.socket); }
    process.stdout.write(JSON.stringify({ errors: s.errors }) + '\\n');
  });
}).on('close', () => queue.then(() => { for (const s of sockets.values()) s.ws.close(); setTimeout(() => process.exit(0), 100); }));
`;
