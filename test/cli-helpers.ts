// Running the built CLI as a user does, with its instrument cache in a temp directory.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../packages/cli/bin/wasm-tracemalloc.js', import.meta.url));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cliRunner(cacheDir: string) {
  const env = { ...process.env, WASM_TRACEMALLOC_CACHE_DIR: cacheDir };
  return {
    env,
    run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
      return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd, env: { ...env, ...opts.env } });
    },
    spawn(args: string[]) {
      return spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    },
  };
}
