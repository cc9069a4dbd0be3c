// The instrument cache of run and node: a repeat run reads the instrumented module
// instead of instrumenting again, and says the same; --no-cache and cache clear.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { siteTableOf } from '@wasm-tracemalloc/runtime';
import { buildPath } from './fixtures/facts.js';
import { cliRunner, tempDir } from './cli-helpers.js';

const tmp = tempDir('wtm-cli-cache-');
const cacheDir = join(tmp, 'cache');
const { run: cli } = cliRunner(cacheDir);

const entries = () => (existsSync(cacheDir) ? readdirSync(cacheDir).sort() : []);
const mtimes = () => entries().map((f) => statSync(join(cacheDir, f)).mtimeMs);

describe('wasm-tracemalloc node: the instrument cache', () => {
  const script = join(tmp, 'app.mjs');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
const { instance } = await WebAssembly.instantiate(readFileSync(${JSON.stringify(buildPath('lib_rs.wasm'))}));
console.log('blocks', instance.exports.alloc_blocks(250, 64));
`,
  );

  it('--no-cache writes nothing', () => {
    const r = cli(['node', '--no-cache', script]);
    expect(r.status).toBe(0);
    expect(entries()).toEqual([]);
  });

  it('a repeat run reads the module its first run wrote, and reports the same', () => {
    const first = cli(['node', script]);
    expect(first.status).toBe(0);
    // One module: its instrumented bytes and what the pass said.
    const files = entries();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^[0-9a-f]{40}\.json$/);
    expect(files[1]).toBe(files[0]!.replace('.json', '.wasm'));
    const written = mtimes();
    const again = cli(['node', script]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('blocks 250\n');
    expect(again.stderr).toBe(first.stderr); // the allocator summary line included
    expect(again.stderr).toMatch(/^wasm-tracemalloc: lib_rs\.wasm: malloc = /m);
    expect(mtimes()).toEqual(written); // read, not rewritten
    // Other options are another entry.
    expect(cli(['node', '--nframe', '4', script]).status).toBe(0);
    expect(entries()).toHaveLength(4);
  });

  it('run shares it; cache dir names it; cache clear empties it', () => {
    expect(cli(['run', buildPath('leak_cli.wasm')]).status).toBe(0);
    expect(entries()).toHaveLength(6);
    expect(cli(['cache', 'dir'])).toMatchObject({ status: 0, stdout: `${cacheDir}\n` });
    const cleared = cli(['cache', 'clear']);
    expect(cleared.status).toBe(0);
    expect(cleared.stdout).toMatch(new RegExp(`^removed 6 files \\(.+\\) from ${cacheDir}\\n$`));
    expect(entries()).toEqual([]);
  });
});

describe('wasm-tracemalloc node: what a cached run costs', () => {
  const PRELOAD = fileURLToPath(new URL('../packages/cli/dist/preload.js', import.meta.url));
  const dir = tempDir('wtm-cli-cache-cost-');
  const cache = join(dir, 'cache');
  // The synchronous path: new WebAssembly.Module cannot await binaryen.
  const script = join(dir, 'sync.mjs');
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
const module = new WebAssembly.Module(readFileSync(${JSON.stringify(buildPath('lib_rs.wasm'))}));
console.log('blocks', new WebAssembly.Instance(module, {}).exports.alloc_blocks(250, 64));
`,
  );

  /** The program as `node` starts it, with a CPU profile of its main thread: the script URLs that ran there. */
  const profiled = (name: string) => {
    const profiles = join(dir, name);
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profiles, '--import', PRELOAD, script], {
      encoding: 'utf8',
      env: { ...process.env, WASM_TRACEMALLOC_CACHE_DIR: cache, WASM_TRACEMALLOC_PRELOAD: '{}' },
    });
    // Only the main thread's: the instrument worker is started without --cpu-prof.
    const files = readdirSync(profiles);
    expect(files).toHaveLength(1);
    const profile = JSON.parse(readFileSync(join(profiles, files[0]!), 'utf8')) as { nodes: { callFrame: { url: string }; hitCount: number }[] };
    const samplesIn = (part: string) => profile.nodes.filter((n) => n.callFrame.url.includes(part)).reduce((sum, n) => sum + n.hitCount, 0);
    const ran = (part: string) => profile.nodes.some((n) => n.callFrame.url.includes(part));
    return { ...r, samplesIn, ran };
  };

  it('a miss waits for the pass in the instrument worker; binaryen never runs on the program\'s thread', () => {
    const first = profiled('first');
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('blocks 250\n');
    expect(first.stderr).toMatch(/^wasm-tracemalloc: lib_rs\.wasm: malloc = __rust_alloc \(by name\)/m);
    expect(first.stderr).toContain('current 15.6 KiB in 250 blocks');
    expect(first.ran('/binaryen/')).toBe(false);
    // Loading binaryen alone takes longer than a sampling interval: the wait shows.
    expect(first.samplesIn('/instrumenter/worker-thread.js')).toBeGreaterThan(0);
  });

  it('a hit loads no binaryen and starts no worker: the module is read from the cache', () => {
    const again = profiled('again');
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('blocks 250\n');
    expect(again.stderr).toContain('current 15.6 KiB in 250 blocks');
    expect(again.ran('/binaryen/')).toBe(false);
    expect(again.ran('/instrumenter/')).toBe(false);
    expect(again.ran('/cache/module-cache.js')).toBe(true);
  });

  it('an entry whose site table cannot be read is a miss: the module is instrumented and traced again', () => {
    const modules = readdirSync(cache).filter((f) => f.endsWith('.wasm'));
    expect(modules).toHaveLength(1);
    // The original module in its place: valid Wasm, no site table.
    writeFileSync(join(cache, modules[0]!), readFileSync(buildPath('lib_rs.wasm')));
    const stale = profiled('stale');
    expect(stale.status).toBe(0);
    expect(stale.stderr).toContain('current 15.6 KiB in 250 blocks');
    expect(stale.samplesIn('/instrumenter/worker-thread.js')).toBeGreaterThan(0);
    // …and written again.
    expect(siteTableOf(readFileSync(join(cache, modules[0]!)))?.sites.length).toBeGreaterThan(0);
  });
});
