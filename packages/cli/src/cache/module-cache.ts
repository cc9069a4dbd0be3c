/**
 * Instrumented modules on disk, so that a repeat `node`/`run` of a program costs a
 * file read instead of a binaryen pass (15.8 MB lightningcss: see the README).
 *
 *   <dir>/<key>.wasm   the instrumented module, or the module itself when the pass
 *                      found nothing to trace
 *   <dir>/<key>.json   what the pass said (summary, warnings) and the files it read
 *
 * key = sha256 of: the instrument and runtime packages' code and binaryen's version, the options
 * that change the output, the module's path (files beside it are read), what the JS
 * glue says (glueFingerprint), the --symbols-from file, and the module's bytes.
 * The source files, source maps and debug files the pass read are recorded with their
 * size and mtime; an entry whose files changed, appeared or vanished is a miss, as
 * make treats a dependency file.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { glueFingerprint } from '@wasm-tracemalloc/instrument/glue-files';
import type { GlueFile } from '@wasm-tracemalloc/instrument';
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

let codeFingerprint: string | undefined;

/**
 * The code that writes and reads an instrumented module: the instrument package (and
 * binaryen's version) and the runtime (which decodes the site table). A workspace
 * build changes no version number, so their built files are hashed.
 */
function codeFingerprintOf(): string {
  if (codeFingerprint) return codeFingerprint;
  const require = createRequire(import.meta.url);
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) hash.update(entry.name).update(readFileSync(path));
    }
  };
  for (const pkg of ['@wasm-tracemalloc/instrument', '@wasm-tracemalloc/runtime']) walk(dirname(require.resolve(pkg)));
  try {
    const fromInstrument = createRequire(require.resolve('@wasm-tracemalloc/instrument'));
    hash.update(readFileSync(join(dirname(fromInstrument.resolve('binaryen')), 'package.json')));
  } catch {
    // binaryen laid out otherwise: its version is then not part of the key
  }
  codeFingerprint = hash.digest('hex');
  return codeFingerprint;
}

export class ModuleCache {
  constructor(readonly dir: string) {}

  keyOf(bytes: Uint8Array, inputs: { options: unknown; path: string | undefined; glue: readonly GlueFile[]; symbolsFrom?: Uint8Array }): string {
    const hash = createHash('sha256').update(codeFingerprintOf()).update(JSON.stringify([inputs.options, inputs.path ?? null]));
    hash.update(inputs.glue.length ? glueFingerprint([...inputs.glue]) : '');
    if (inputs.symbolsFrom) hash.update(createHash('sha256').update(inputs.symbolsFrom).digest());
    return hash.update(bytes).digest('hex').slice(0, 40);
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
