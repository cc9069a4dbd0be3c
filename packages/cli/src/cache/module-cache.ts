/**
 * Instrumented modules on disk, so that a repeat `node`/`run` of a program costs a
 * file read instead of a binaryen pass (15.8 MB lightningcss: see the README). Loads
 * no binaryen.
 *
 *   <dir>/<key>.wasm   the instrumented module, or the module itself when the pass
 *                      found nothing to trace
 *   <dir>/<key>.json   what the pass said (summary, warnings) and the files it read
 *
 * key = instrumentCacheKey (@wasm-tracemalloc/instrument/cache-key, shared with the Vite
 * plugin): the instrument and runtime code and binaryen's version, the options that
 * change the output, the module's path (files beside it are read), what the JS glue
 * says, the --symbols-from file, and the module's bytes.
 * The source files, source maps and debug files the pass read are recorded with their
 * size and mtime; an entry whose files changed, appeared or vanished is a miss, as
 * make treats a dependency file.
 */

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { GlueFile } from '@wasm-tracemalloc/instrument';
import { instrumentCacheKey } from '@wasm-tracemalloc/instrument/cache-key';
import { siteTableOf } from '@wasm-tracemalloc/runtime';

/**
 * Where the cache lives: $WASM_TRACEMALLOC_CACHE_DIR, else $XDG_CACHE_HOME/wasm-tracemalloc,
 * else ~/.cache/wasm-tracemalloc. Per user, not per project: the same module in two
 * checkouts is instrumented once.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WASM_TRACEMALLOC_CACHE_DIR) return env.WASM_TRACEMALLOC_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'wasm-tracemalloc');
}

/** A file the pass read (or looked for): its size and mtime then, or null when it was absent. */
type FileStamp = { path: string; size: number; mtimeMs: number } | { path: string; size: null };

export interface CachedResult {
  bytes: Uint8Array;
  /** Null: nothing to trace, `bytes` is the module itself. */
  summary: string | null;
  warnings: string[];
}

interface StoredEntry {
  summary: string | null;
  warnings: string[];
  reads: FileStamp[];
}

function stamp(path: string): FileStamp {
  try {
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return { path, size: null };
  }
}

function unchanged(s: FileStamp): boolean {
  const now = stamp(s.path);
  return now.size === s.size && (now.size === null || (now as { mtimeMs: number }).mtimeMs === (s as { mtimeMs: number }).mtimeMs);
}

export class ModuleCache {
  constructor(readonly dir: string) {}

  keyOf(bytes: Uint8Array, inputs: { options: unknown; path: string | undefined; glue: readonly GlueFile[]; symbolsFrom?: Uint8Array }): string {
    return instrumentCacheKey(bytes, { settings: [inputs.options, inputs.path ?? null], glue: inputs.glue, files: inputs.symbolsFrom ? [inputs.symbolsFrom] : [] });
  }

  /** The cached result for `key`, or undefined (absent, unreadable, or a file it read has changed). */
  get(key: string, original: Uint8Array): CachedResult | undefined {
    try {
      const entry = JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as StoredEntry;
      if (!Array.isArray(entry.reads) || !entry.reads.every(unchanged)) return undefined;
      const bytes = entry.summary === null ? original : new Uint8Array(readFileSync(join(this.dir, `${key}.wasm`)));
      // A damaged entry (a disk error, an edit) is a miss, not a program that fails to load.
      if (entry.summary !== null && !siteTableOf(bytes)) return undefined;
      return { bytes, summary: entry.summary, warnings: entry.warnings };
    } catch {
      return undefined;
    }
  }

  /** Never fails the run: a cache that cannot be written is only slower. */
  put(key: string, result: CachedResult, reads: Iterable<string>): string | undefined {
    try {
      mkdirSync(this.dir, { recursive: true });
      const entry: StoredEntry = { summary: result.summary, warnings: result.warnings, reads: [...new Set(reads)].map(stamp) };
      // The module before its entry: a reader that finds the entry finds the module.
      if (result.summary !== null) this.#write(`${key}.wasm`, result.bytes);
      this.#write(`${key}.json`, JSON.stringify(entry));
      return undefined;
    } catch (e) {
      return `could not write the instrument cache in ${this.dir} (${(e as Error).message}); every run instruments again`;
    }
  }

  /** Written under a temporary name, then renamed: a reader never sees half a file. */
  #write(name: string, data: Uint8Array | string): void {
    const tmp = join(this.dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(this.dir, name));
  }

  /** Removes every entry; returns how many files and bytes were removed. */
  clear(): { files: number; bytes: number } {
    let files = 0;
    let bytes = 0;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return { files, bytes };
    }
    for (const name of names) {
      // Only the names we write: the directory may have been pointed somewhere shared by mistake.
      if (!/^([0-9a-f]{40}\.(wasm|json)|\.[0-9a-f]{40}\.(wasm|json)\.\d+\.[0-9a-z]+\.tmp)$/.test(name)) continue;
      const path = join(this.dir, name);
      try {
        bytes += statSync(path).size;
        rmSync(path);
        files++;
      } catch {
        // removed by another process meanwhile
      }
    }
    return { files, bytes };
  }
}
