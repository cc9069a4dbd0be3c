// Node-side harness: JavaScriptCore, Safari's engine, through Debian's WebKitGTK.
// puppeteer does not drive WebKit, so this speaks W3C WebDriver to WebKitWebDriver
// (package webkit2gtk-driver), which runs MiniBrowser in automation mode. WebKitGTK
// needs a display: the driver runs under xvfb-run. Only what the tests use: open a
// URL, run a script, close. Not part of the app.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const XVFB_RUN = '/usr/bin/xvfb-run';

/** True when WebKitGTK's driver, its browser and xvfb-run are installed. */
export const hasWebKit = () => [WEBKIT_DRIVER, MINIBROWSER, XVFB_RUN].every((p) => existsSync(p));

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/**
 * Starts WebKitWebDriver and opens a MiniBrowser session. Returns
 * { version, goto(url), window(), openWindow(url), switchTo(handle),
 *   execute(script, ...args), until(body), screenshot(), close() }:
 * `execute` runs `script` (a function body, as WebDriver's "execute async script"
 * takes it: its last argument is the callback for its result) and resolves to that
 * result; `until` runs `body` (a function body) in the page every 50 ms until it
 * returns something other than undefined, and resolves to that; `screenshot`
 * resolves to the window's PNG once two more frames have painted. Scripts run in
 * the current window: openWindow(url) opens a tab and makes it current, and
 * resolves to its handle; window() is the current one's.
 */
export async function launchWebKit({ timeoutMs = 60_000 } = {}) {
  const port = await freePort();
  const driver = spawn(XVFB_RUN, ['-a', WEBKIT_DRIVER, `--port=${port}`], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  driver.stderr.on('data', (d) => (stderr += d));
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const response = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
    const { value } = await response.json();
    if (!response.ok) throw new Error(`WebKitWebDriver ${method} ${path}: ${value?.error}: ${value?.message}`);
    return value;
  };
  const kill = () => {
    try {
      process.kill(-driver.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };

  // The driver listens once Xvfb is up.
  const deadline = Date.now() + 20_000;
  for (;;) {
    let why = 'not ready';
    try {
      if ((await call('GET', '/status')).ready) break;
    } catch (e) {
      why = e.message;
    }
    if (driver.exitCode !== null || Date.now() > deadline) {
      kill();
      throw new Error(`WebKitWebDriver did not start (${why}); is webkit2gtk-driver installed with xvfb and xauth?\n${stderr}`);
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }

  let session;
  try {
    session = await call('POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
          timeouts: { script: timeoutMs, pageLoad: timeoutMs },
        },
      },
    });
  } catch (e) {
    kill();
    throw e;
  }
  const path = `/session/${session.sessionId}`;
  return {
    version: session.capabilities.browserVersion,
    goto: (url) => call('POST', `${path}/url`, { url }),
    window: () => call('GET', `${path}/window`),
    async openWindow(url) {
      const { handle } = await call('POST', `${path}/window/new`, { type: 'tab' });
      await call('POST', `${path}/window`, { handle });
      await call('POST', `${path}/url`, { url });
      return handle;
    },
    switchTo: (handle) => call('POST', `${path}/window`, { handle }),
    execute: (script, ...args) => call('POST', `${path}/execute/async`, { script, args }),
    async screenshot() {
      // The DOM can be ahead of the last painted frame: let two frames paint first.
      await call('POST', `${path}/execute/async`, { script: 'const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(null)));', args: [] });
      return Buffer.from(await call('GET', `${path}/screenshot`), 'base64');
    },
    async until(body, { timeoutMs = 20_000 } = {}) {
      const value = await call('POST', `${path}/execute/async`, {
        script: `const done = arguments[arguments.length - 1];
const deadline = Date.now() + ${timeoutMs};
const ready = () => { ${body} };
const poll = () => {
  let value;
  try { value = ready(); } catch (e) { return done({ failed: String(e?.stack ?? e) }); }
  if (value !== undefined) done(value);
  else if (Date.now() > deadline) done({ failed: 'timed out after ${timeoutMs} ms' });
  else setTimeout(poll, 50);
};
poll();`,
        args: [],
      });
      if (value && typeof value === 'object' && 'failed' in value) throw new Error(`in WebKit: ${value.failed}`);
      return value;
    },
    async close() {
      try {
        await call('DELETE', path);
      } finally {
        kill();
      }
    },
  };
}
