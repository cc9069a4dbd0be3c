import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type ResolvedConfig } from 'vite';
import { wasmFileOf } from './wasm-files.js';

describe('wasmFileOf: the file a .wasm request to the dev server names', () => {
  let dir: string;
  let root: string;
  let outside: string;
  let config: ResolvedConfig;
  let based: ResolvedConfig;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'wtm-wasm-files-')));
    root = join(dir, 'app');
    outside = join(dir, 'elsewhere');
    for (const d of [join(root, 'public/sub'), join(root, 'src'), join(root, 'node_modules/dep'), outside]) mkdirSync(d, { recursive: true });
    for (const f of ['public/sub/a.wasm', 'public/both.wasm', 'both.wasm', 'src/b.wasm', 'node_modules/dep/c.wasm', '.env.wasm']) writeFileSync(join(root, f), 'x');
    writeFileSync(join(outside, 'd.wasm'), 'x');
    const inline = { root, configFile: false as const, logLevel: 'silent' as const, server: { fs: { allow: [root] } } };
    config = await resolveConfig(inline, 'serve');
    based = await resolveConfig({ ...inline, base: '/app/' }, 'serve');
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('looks in public/ first, then under the root, then at /@fs/ paths Vite may serve', () => {
    expect(wasmFileOf('/sub/a.wasm', config)).toBe(join(root, 'public/sub/a.wasm'));
    expect(wasmFileOf('/both.wasm', config)).toBe(join(root, 'public/both.wasm'));
    expect(wasmFileOf('/src/b.wasm', config)).toBe(join(root, 'src/b.wasm'));
    expect(wasmFileOf('/node_modules/dep/c.wasm', config)).toBe(join(root, 'node_modules/dep/c.wasm'));
    expect(wasmFileOf(`/@fs${root}/src/b.wasm`, config)).toBe(join(root, 'src/b.wasm'));
    expect(wasmFileOf('/src/missing.wasm', config)).toBeUndefined();
  });

  it("keeps to Vite's server.fs rules: nothing outside the allowed dirs, no denied file, no way out of the root", () => {
    expect(wasmFileOf(`/@fs${outside}/d.wasm`, config)).toBeUndefined();
    expect(wasmFileOf('/.env.wasm', config)).toBeUndefined(); // server.fs.deny has .env and .env.*
    expect(wasmFileOf('/%2e%2e/elsewhere/d.wasm', config)).toBeUndefined();
    expect(wasmFileOf('/src/b.wasm%00', config)).toBeUndefined();
  });

  it('takes plain requests only (Vite answers ?init, ?url, ?import with JavaScript), and strips the base', () => {
    expect(wasmFileOf('/src/b.wasm?t=1700000000000', config)).toBe(join(root, 'src/b.wasm'));
    for (const q of ['?init', '?url', '?import', '?url&import', '?init&import', '?raw']) expect(wasmFileOf(`/src/b.wasm${q}`, config), q).toBeUndefined();
    expect(wasmFileOf('/src/b.js', config)).toBeUndefined();
    expect(wasmFileOf('/app/src/b.wasm', based)).toBe(join(root, 'src/b.wasm'));
  });
});
