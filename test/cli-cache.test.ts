// The instrument cache of run and node: a repeat run reads the instrumented module
// instead of instrumenting again, and says the same; --no-cache and cache clear.

import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
