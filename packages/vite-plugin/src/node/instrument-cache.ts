/**
 * Instrumented modules by content hash, on disk under Vite's cache dir, so that a
 * reload (or a restart of the dev server) costs a file read, not a binaryen pass.
 *
 *   <cacheDir>/wasm-tracemalloc/<key>.wasm       the instrumented module
 *   <cacheDir>/wasm-tracemalloc/<key>.untraced   a marker: nothing to trace (no allocator)
 *
 * key = sha256(module bytes, the options given to instrument, a fingerprint of the
 * instrument package's code): a new instrument pass or other options never reuse an
 * old result. `@wasm-tracemalloc/instrument` (and binaryen, ~0.35 s to load) is
 * imported only on the first miss.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { siteTableOf } from '@wasm-tracemalloc/runtime';

export interface InstrumentSettings {
  /** Extra allocators, `NAME=KIND` as the CLI's --alloc. */
  alloc: string[];
  /** Shadow stack frames compiled in (1: the allocation site only). */
  maxFrames: number;
  /**
   * The project root: source files (for the source lines of frames) and source maps
   * are read from under it only, whatever paths a module's debug info names.
   */
  root?: string;
}

function readUnder(root: string | undefined, path: string): string | undefined {
  if (!root) return undefined;
  const full = resolve(root, path);
  const rel = relative(root, full);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  try {
    return readFileSync(full, 'utf8');
  } catch {
    return undefined;
  }
}

export type CachedModule =
  | { traced: true; bytes: Uint8Array; warnings: string[]; fromCache: boolean }
  | { traced: false; bytes: Uint8Array; reason: string; fromCache: boolean };

export class InstrumentCache {
  readonly dir: string;
  readonly #salt: string;
  readonly #memory = new Map<string, CachedModule>();

  constructor(
    cacheDir: string,
    readonly settings: InstrumentSettings,
  ) {
    this.dir = join(cacheDir, 'wasm-tracemalloc');
    // Source lines are read from under the root: another root may give other frames.
    this.#salt = JSON.stringify([settings.alloc, settings.maxFrames, settings.root ?? null, instrumentFingerprint()]);
  }

  keyOf(bytes: Uint8Array): string {
    return createHash('sha256').update(this.#salt).update(bytes).digest('hex').slice(0, 32);
  }

  /**
   * The traced form of `bytes`, or the bytes themselves when there is nothing to trace.
   * Throws what instrument throws (an InstrumentError naming `source`).
   */
  async get(bytes: Uint8Array, source: string, file?: string): Promise<CachedModule> {
    // Already instrumented (a module shipped traced, or one this build already did): as it is.
    if (siteTableOf(bytes)) return { traced: true, bytes, warnings: [], fromCache: true };
    const key = this.keyOf(bytes);
    const hit = this.#memory.get(key) ?? this.#read(key, bytes);
    if (hit) return hit;
    const { instrument } = await import('@wasm-tracemalloc/instrument');
    // Checked again: another request may have finished while binaryen loaded.
    const again = this.#read(key, bytes);
    if (again) return again;
    const { root } = this.settings;
    const result = instrument(bytes, {
      source,
      alloc: this.settings.alloc,
      maxFrames: this.settings.maxFrames,
      readSource: (path) => readUnder(root, path),
      readSourceMap: (url) => (file && !/^[a-z][a-z0-9+.-]*:/i.test(url) ? readUnder(root, resolve(dirname(file), url)) : undefined),
    });
    let entry: CachedModule;
    if (result.status === 'no-allocator') {
      entry = { traced: false, bytes, reason: 'no allocator found', fromCache: false };
      this.#write(`${key}.untraced`, new Uint8Array());
    } else {
      entry = { traced: true, bytes: result.bytes, warnings: result.warnings, fromCache: false };
      if (result.status === 'instrumented') this.#write(`${key}.wasm`, result.bytes);
    }
    this.#memory.set(key, { ...entry, fromCache: true } as CachedModule);
    return entry;
  }

  #read(key: string, original: Uint8Array): CachedModule | undefined {
    try {
      return { traced: true, bytes: new Uint8Array(readFileSync(join(this.dir, `${key}.wasm`))), warnings: [], fromCache: true };
    } catch {
      // not cached
    }
    try {
      statSync(join(this.dir, `${key}.untraced`));
      return { traced: false, bytes: original, reason: 'no allocator found', fromCache: true };
    } catch {
      return undefined;
    }
  }

  /** Written under a temporary name, then renamed: a reader never sees half a file. */
  #write(name: string, bytes: Uint8Array): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(this.dir, name));
  }
}

let fingerprint: string | undefined;

/** A hash of the instrument package's built code: its version alone does not change in a workspace. */
function instrumentFingerprint(): string {
  if (fingerprint) return fingerprint;
  const require = createRequire(import.meta.url);
  const hash = createHash('sha256');
  const dist = dirname(require.resolve('@wasm-tracemalloc/instrument'));
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) hash.update(entry.name).update(readFileSync(path));
    }
  };
  walk(dist);
  fingerprint = hash.digest('hex');
  return fingerprint;
}
