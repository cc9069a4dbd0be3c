// The install path, as a new user meets it: every package packed with `pnpm pack`,
// installed offline from the local store into a fresh Vite app outside this repository
// (with sql.js, a real npm Wasm dependency), then used. The dev server is started as
// the user would (`vite` from the app's node_modules), the page runs in Chromium, takes
// two snapshots through the plugin's client, and the viewer the plugin serves shows
// their diff. The installed command line prints its version and traces a WASI program.
//
// Needs the workspace built (npm test's set-up does it): the packages are packed as
// built, WTM_PACK_PREBUILT=1 skipping their prepack builds.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, type Browser } from '../packages/vite-plugin/harness/e2e.mjs';
import { Snapshot } from '../packages/runtime/dist/model/index.js';
import { rows, waitForTable } from './viewer/page.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Every package a user may install, by folder, with its tarball's name. */
const PACKAGES = [
  ['runtime', '@wasm-tracemalloc/runtime', 'wasm-tracemalloc-runtime-0.1.0.tgz'],
  ['instrument', '@wasm-tracemalloc/instrument', 'wasm-tracemalloc-instrument-0.1.0.tgz'],
  ['viewer', '@wasm-tracemalloc/viewer', 'wasm-tracemalloc-viewer-0.1.0.tgz'],
  ['vite-plugin', '@wasm-tracemalloc/vite-plugin', 'wasm-tracemalloc-vite-plugin-0.1.0.tgz'],
  ['cli', 'wasm-tracemalloc', 'wasm-tracemalloc-0.1.0.tgz'],
  ['vitest', '@wasm-tracemalloc/vitest', 'wasm-tracemalloc-vitest-0.1.0.tgz'],
] as const;
const MALLOCS = 100;
const MALLOC_SIZE = 4000;

/** The environment without what the test runner's own npm/pnpm set: the child tools behave as in a user's shell. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|PNPM_|npm_config_|INIT_CWD$)/i.test(k)));
  return { ...env, NO_COLOR: '1', ...extra };
}

function run(command: string, args: string[], cwd: string, env = userEnv()) {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}${r.stderr}` };
}

function must(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv) {
  const r = run(command, args, cwd, env);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${r.all}`);
  return r;
}

function tarList(tarball: string): string[] {
  return must('tar', ['-tzf', tarball], tmpdir()).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
}

function tarFile(tarball: string, file: string): string {
  return must('tar', ['-xOzf', tarball, `package/${file}`], tmpdir()).stdout;
}

const MAIN_JS = `import initSqlJs from 'sql.js/dist/sql-wasm-browser-debug.js';
import sqlWasmUrl from 'sql.js/dist/sql-wasm-browser-debug.wasm?url';
import { takeSnapshot } from '@wasm-tracemalloc/vite-plugin/client';

const SQL = await initSqlJs({ locateFile: () => sqlWasmUrl });
const db = new SQL.Database();
db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
const before = await takeSnapshot();
// Blocks the app keeps from sql.js's own allocator, and statements it never frees.
const kept = [];
for (let i = 0; i < ${MALLOCS}; i++) kept.push(SQL._malloc(${MALLOC_SIZE}));
for (let i = 0; i < 20; i++) kept.push(db.prepare('SELECT name FROM t WHERE id = ?'));
const after = await takeSnapshot();
window.result = { before: before.info, after: after.info, top: String(after.snapshot.compareTo(before.snapshot, 'lineno')[0]) };
document.body.dataset.done = 'true';
`;

describe('install from the tarballs into a fresh Vite app', () => {
  let work: string;
  let app: string;
  let vite: ChildProcess | undefined;
  let viteOutput = '';
  let browser: Browser | undefined;

  beforeAll(() => {
    // Outside the workspace: nothing resolves from /work/main's node_modules.
    work = realpathSync(mkdtempSync(join(tmpdir(), 'wtm-install-')));
    app = join(work, 'app');
    mkdirSync(join(work, 'tarballs'));
    mkdirSync(app);
    for (const [dir] of PACKAGES) {
      must('pnpm', ['pack', '--pack-destination', join(work, 'tarballs')], join(ROOT, 'packages', dir), userEnv({ WTM_PACK_PREBUILT: '1' }));
    }
  });

  afterAll(async () => {
    await browser?.close();
    if (vite?.pid !== undefined && vite.exitCode === null) process.kill(vite.pid, 'SIGTERM');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs each package with its dist/, a LICENSE and a README, real versions for workspace:*, and source maps that carry their sources', () => {
    for (const [dir, name, tarball] of PACKAGES) {
      const file = join(work, 'tarballs', tarball);
      const files = tarList(file);
      expect(files, name).toEqual(expect.arrayContaining(['package.json', 'LICENSE', 'README.md']));
      expect(files.filter((f) => !/^(dist\/|bin\/|package\.json$|LICENSE$|README\.md$)/.test(f)), `${name}: files outside dist/ and bin/`).toEqual([]);
      expect(files.filter((f) => /\.test\.|\.test-helper\./.test(f)), `${name}: tests`).toEqual([]);
      const manifest = JSON.parse(tarFile(file, 'package.json'));
      expect(manifest.name).toBe(name);
      expect(manifest.private).toBeUndefined();
      expect(manifest.license).toBe('MIT');
      expect(JSON.stringify(manifest), `${name}'s package.json`).not.toContain('workspace:');
      for (const [dep, range] of Object.entries({ ...manifest.dependencies })) if (dep.startsWith('@wasm-tracemalloc/') || dep === 'wasm-tracemalloc') expect(range, `${name} → ${dep}`).toBe('0.1.0');
      // What `exports` and `types` name is in the tarball.
      const targets = JSON.stringify(manifest.exports ?? {}).match(/"\.\/dist\/[^"*]+"/g) ?? [];
      for (const t of [...targets.map((t) => JSON.parse(t).slice(2)), ...(manifest.types ? [manifest.types.slice(2)] : [])]) expect(files, `${name} exports ${t}`).toContain(t);
      // Every map embeds what it points at: a user's Vite has nothing to look for.
      for (const map of files.filter((f) => f.endsWith('.js.map'))) {
        const parsed = JSON.parse(tarFile(file, map)) as { sources: string[]; sourcesContent?: Array<string | null> };
        expect(parsed.sourcesContent?.length, `${name}/${map}`).toBe(parsed.sources.length);
        expect(parsed.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0), `${name}/${map}`).toBe(true);
      }
      if (dir === 'viewer') {
        expect(files).toEqual(expect.arrayContaining(['dist/index.html']));
        expect(manifest.dependencies ?? {}).toEqual({});
      }
    }
  });

  it('refuses `npm pack` of a package with workspace dependencies, saying to use pnpm', () => {
    const r = run('npm', ['pack', '--dry-run'], join(ROOT, 'packages/vite-plugin'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      '@wasm-tracemalloc/vite-plugin: pack it with `pnpm pack` (or publish with `pnpm publish`), not npm: its dependencies @wasm-tracemalloc/instrument@workspace:*, @wasm-tracemalloc/runtime@workspace:*, @wasm-tracemalloc/viewer@workspace:* stay "workspace:" in a tarball npm makes, which no registry can install.',
    );
  });

  it(`installs offline, and in Chromium the viewer at /__wasm-tracemalloc/ shows two snapshots' diff: ${MALLOCS} blocks of ${MALLOC_SIZE} B from sql.js's malloc on top`, async () => {
    const tarball = (name: string) => `file:${relative(app, join(work, 'tarballs', PACKAGES.find((p) => p[1] === name)![2]))}`;
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'fresh-app',
          private: true,
          type: 'module',
          dependencies: { 'sql.js': '1.16.0' },
          devDependencies: { vite: '8.3.8', '@wasm-tracemalloc/vite-plugin': tarball('@wasm-tracemalloc/vite-plugin'), 'wasm-tracemalloc': tarball('wasm-tracemalloc') },
        },
        null,
        2,
      ),
    );
    // Our packages' dependencies on each other name versions no registry has yet: the tarballs stand in for them.
    writeFileSync(join(app, 'pnpm-workspace.yaml'), `overrides:\n${PACKAGES.filter(([dir]) => dir === 'runtime' || dir === 'instrument' || dir === 'viewer').map(([, name]) => `  "${name}": "${tarball(name)}"\n`).join('')}`);
    writeFileSync(join(app, 'vite.config.js'), "import wasmTracemalloc from '@wasm-tracemalloc/vite-plugin';\nexport default { plugins: [wasmTracemalloc()] };\n");
    writeFileSync(join(app, 'index.html'), '<!doctype html><title>fresh app</title><script type="module" src="/main.js"></script>\n');
    writeFileSync(join(app, 'main.js'), MAIN_JS);
    must('pnpm', ['install', '--offline', '--reporter=silent'], app);
    expect(readdirSync(join(app, 'node_modules/@wasm-tracemalloc')).sort()).toEqual(['vite-plugin']);
    expect(existsSync(join(app, 'node_modules/.pnpm/node_modules/@wasm-tracemalloc/viewer/dist/index.html'))).toBe(true);

    // `vite`, as the user runs it; its port from what it prints.
    vite = spawn(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), '--host', '127.0.0.1', '--port', '0', '--clearScreen', 'false'], { cwd: app, env: userEnv() });
    const url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`vite did not start:\n${viteOutput}`)), 30_000);
      const read = (chunk: Buffer) => {
        viteOutput += chunk.toString();
        const m = /Tracemalloc: (http:\/\/127\.0\.0\.1:\d+\/)__wasm-tracemalloc\//.exec(viteOutput);
        if (m) {
          clearTimeout(timer);
          ok(m[1]);
        }
      };
      vite!.stdout!.on('data', read);
      vite!.stderr!.on('data', read);
    });
    expect(viteOutput).toContain(`Tracemalloc: ${url}__wasm-tracemalloc/`);

    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('body[data-done]', { timeout: 60_000 });
    const result = (await page.evaluate('window.result')) as { before: { url: string; name: string }; after: { url: string; name: string }; top: string };
    // Named after the tab; numbered by the dev server, in time order (also in the file name).
    expect([result.before.name, result.after.name]).toEqual(['fresh app', 'fresh app']);
    expect([result.before.url, result.after.url].map((u) => u.split('/').pop())).toEqual(['fresh-app-1.wtmsnap', 'fresh-app-2.wtmsnap']);

    // The stored files, read with the model here: the top of the diff is what the app kept.
    const load = async (info: { url: string; name: string }) => Snapshot.load(new Uint8Array(await (await fetch(new URL(info.url, url))).arrayBuffer()), info.name);
    const [top] = (await load(result.after)).compareTo(await load(result.before), 'lineno');
    expect([top.sizeDiff, top.countDiff, top.size, top.count]).toEqual([MALLOCS * MALLOC_SIZE, MALLOCS, MALLOCS * MALLOC_SIZE, MALLOCS]);
    // sql.js 1.16.0's malloc export, whose body starts at 0xa384d.
    expect(String(top.traceback.mostRecent)).toBe('sql-wasm-browser-debug.wasm:malloc (called from JS)+0xa384d');
    expect(result.top).toBe(String(top));

    // The viewer the plugin serves from the installed package, on both files: the same row.
    const viewer = await browser.newPage();
    const viewerUrl = new URL(`__wasm-tracemalloc/?url=${encodeURIComponent(result.before.url)}&url=${encodeURIComponent(result.after.url)}&snap=1&base=0`, url).href;
    await viewer.goto(viewerUrl);
    await waitForTable(viewer);
    const [shown] = await rows(viewer);
    expect(shown.text).toBe(String(top));
    expect(shown.location).toContain('malloc (called from JS)');
    expect(shown).toMatchObject({ status: 'new', size: '391 KiB', sizeDiff: '+391 KiB', count: '100', countDiff: '+100', average: '4000 B' });
    // The live page knows the viewer is there (it said "not installed" before).
    const live = await (await fetch(new URL('__wasm-tracemalloc/live/', url))).text();
    expect(live).toContain('data-viewer="/__wasm-tracemalloc/"');
    expect(live).not.toContain('class="note"');

    // A user's Vite finds every source its maps name: no "points to missing source files".
    expect(viteOutput).not.toContain('missing source');
    expect(viteOutput).toContain('wasm-tracemalloc: instrumented node_modules/');
  });

  it('runs the installed command line: --version, and run on a WASI program', () => {
    const version = must('npx', ['--offline', 'wasm-tracemalloc', '--version'], app);
    expect(version.stdout.trim()).toBe('wasm-tracemalloc 0.1.0');
    const leak = join(ROOT, 'test/fixtures/build/leak_cli.wasm');
    const r = must('npx', ['--offline', 'wasm-tracemalloc', 'run', leak], app);
    expect(r.stdout).toBe('done\n');
    expect(r.stderr).toMatch(/^#1: \S*test\/fixtures\/src\/leak_cli\.c:17: size=97\.7 KiB, count=1000, average=100 B$/m);
  });
});
