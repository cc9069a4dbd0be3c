/**
 * Instrumented modules by content hash, on disk under Vite's cache dir, so that a
 * reload (or a restart of the dev server) costs a file read, not a binaryen pass.
 *
 *   <cacheDir>/wasm-tracemalloc/<key>.wasm       the instrumented module
 *   <cacheDir>/wasm-tracemalloc/<key>.untraced   a marker: nothing to trace (no allocator)
 *   <cacheDir>/wasm-tracemalloc/<key>.json       what the pass said (ModuleReport, with the
 *                                                name it was said of), written before either
 *
 * key = instrumentCacheKey (@wasm-tracemalloc/instrument/cache-key, shared with the
 * CLI's cache): the module's bytes, the options given to instrument, the instrument and
 * runtime code and binaryen's version, and what the JS glue given says. A new pass, a
 * new site-table decoder, other options or other glue never reuse an old result. (A
 * module first served before its glue was seen, untraced, is instrumented again once
 * the glue is known.) An entry whose site table cannot be read (a damaged file) is a
 * miss. `@wasm-tracemalloc/instrument` (and binaryen, ~0.35 s to load) is imported only
 * on the first miss.
 */

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { siteTableOf } from '@wasm-tracemalloc/runtime';
import type { GlueFile } from '@wasm-tracemalloc/instrument';
import { instrumentCacheKey } from '@wasm-tracemalloc/instrument/cache-key';
import { glueBeside } from '@wasm-tracemalloc/instrument/glue-files';
import { filesUnder, type SourceFiles } from './source-files.js';

export interface InstrumentSettings {
  /** Extra allocators, `NAME=KIND` as the CLI's --alloc. */
  alloc: string[];
  /** Shadow stack frames compiled in (1: the allocation site only). */
  maxFrames: number;
  /**
   * The project root: relative paths a module's debug info names are resolved from it.
   * Without `files`, source files (for the source lines of frames) and source maps are
   * read from under it only.
   */
  root?: string;
  /** Which files the pass may read for frames (the dev server: what Vite's server.fs rules let it send; source-files.ts). */
  files?: SourceFiles;
}

/** What the instrument pass said about a module: kept with its result, so that a cached module says it again. */
export interface ModuleReport {
  /** The pass's warnings, each naming the module, as the CLI prints them. */
  warnings: string[];
  /** allocatorSummary(): which functions are traced and how each was found (traced modules only). */
  summary?: string;
  /** Why nothing was done, when that is expected (a side module without an allocator of its own). */
  note?: string;
}

export type CachedModule = ModuleReport &
  (
    | { traced: true; bytes: Uint8Array; fromCache: boolean }
    | {
        traced: false;
        bytes: Uint8Array;
        /** For people, short: "no allocator found". The warnings say more. */
        reason: string;
        fromCache: boolean;
      }
  );

/** The `<key>.json` sidecar: the report, and the name its texts start with. */
interface StoredReport extends ModuleReport {
  source: string;
}

const NO_ALLOCATOR = 'no allocator found';
const SIDE_MODULE = 'a side module with no allocator of its own';

export class InstrumentCache {
  readonly dir: string;
  /** The settings part of the key: the same for every module this cache serves. */
  readonly #settings: unknown;
  /** By key: the result and the name its report was made for. */
  readonly #memory = new Map<string, { entry: CachedModule; source: string }>();
  readonly #files: SourceFiles;

  constructor(
    cacheDir: string,
    readonly settings: InstrumentSettings,
  ) {
    this.dir = join(cacheDir, 'wasm-tracemalloc');
    this.#files = settings.files ?? filesUnder(settings.root);
    // Other rules for the files read, other frames (and no reuse of a module that embeds
    // a file the rules now refuse).
    this.#settings = [settings.alloc, settings.maxFrames, settings.root ?? null, this.#files.rules];
  }

  /**
   * The key of `bytes` instrumented with `glue`. Only what the glue finder reads from the
   * glue counts (its files' names and their mappings of exports to allocators): an edit
   * elsewhere in a module that names the `.wasm` does not cost another pass.
   */
  keyOf(bytes: Uint8Array, glue: readonly GlueFile[] = []): string {
    return instrumentCacheKey(bytes, { settings: this.#settings, glue });
  }

  /**
   * The traced form of `bytes`, or the bytes themselves when there is nothing to trace.
   * `glue`: the JS that loads the module; by default the scripts beside `file` that name
   * it. Throws what instrument throws (an InstrumentError naming `source`).
   */
  async get(bytes: Uint8Array, source: string, file?: string, glue: readonly GlueFile[] = file ? glueBeside(file) : []): Promise<CachedModule> {
    // Already instrumented (a module shipped traced, or one this build already did): as it is.
    if (siteTableOf(bytes)) return { traced: true, bytes, warnings: [], fromCache: true };
    const key = this.keyOf(bytes, glue);
    const remembered = this.#memory.get(key);
    const hit = remembered ? relabel(remembered.entry, remembered.source, source) : this.#read(key, bytes, source);
    if (hit) return hit;
    const { allocatorSummary, instrument } = await import('@wasm-tracemalloc/instrument');
    // Checked again: another request may have finished while binaryen loaded.
    const again = this.#read(key, bytes, source);
    if (again) return again;
    const read = (path: string) => this.#files.read(path, source);
    const result = instrument(bytes, {
      source,
      alloc: this.settings.alloc,
      maxFrames: this.settings.maxFrames,
      // The JS that loads it maps a release build's minified exports to _malloc and friends.
      glue: glue.length > 0 ? [...glue] : undefined,
      readSource: (path) => read(path)?.toString('utf8'),
      readSourceMap: (url) => (file && !/^[a-z][a-z0-9+.-]*:/i.test(url) ? read(resolve(dirname(file), url))?.toString('utf8') : undefined),
      // The debug .wasm its external_debug_info names, its symbol map: beside it.
      readDebugFile: (name) => (file && !/^[a-z][a-z0-9+.-]*:/i.test(name) ? read(resolve(dirname(file), name)) : undefined),
    });
    const report: ModuleReport = {
      warnings: result.warnings,
      ...(result.status === 'instrumented' && { summary: allocatorSummary(source, result.allocators) }),
      ...(result.note !== undefined && { note: result.note }),
    };
    let entry: CachedModule;
    if (result.status === 'no-allocator') {
      entry = { ...report, traced: false, bytes, reason: result.note === undefined ? NO_ALLOCATOR : SIDE_MODULE, fromCache: false };
      this.#writeReport(key, source, report);
      this.#write(`${key}.untraced`, new Uint8Array());
    } else {
      entry = { ...report, traced: true, bytes: result.bytes, fromCache: false };
      if (result.status === 'instrumented') {
        this.#writeReport(key, source, report);
        this.#write(`${key}.wasm`, result.bytes);
      }
    }
    this.#memory.set(key, { entry: { ...entry, fromCache: true }, source });
    return entry;
  }

  /** The cached result, its report's texts naming `source` (the same bytes may be served under another name). */
  #read(key: string, original: Uint8Array, source: string): CachedModule | undefined {
    const stored = this.#readReport(key);
    const report: ModuleReport = stored ? relabel(stored.report, stored.source, source) : { warnings: [] };
    let traced: Uint8Array | undefined;
    try {
      traced = new Uint8Array(readFileSync(join(this.dir, `${key}.wasm`)));
    } catch {
      // not cached
    }
    if (traced) {
      // A damaged entry (a disk error, an edit) is a miss, not a module the page cannot link.
      if (!readableSiteTable(traced)) return undefined;
      return { ...report, traced: true, bytes: traced, fromCache: true };
    }
    try {
      statSync(join(this.dir, `${key}.untraced`));
      return { ...report, traced: false, bytes: original, reason: report.note === undefined ? NO_ALLOCATOR : SIDE_MODULE, fromCache: true };
    } catch {
      return undefined;
    }
  }

  #readReport(key: string): { source: string; report: ModuleReport } | undefined {
    try {
      const stored = JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as Partial<StoredReport>;
      if (typeof stored.source !== 'string' || !Array.isArray(stored.warnings)) return undefined;
      const report: ModuleReport = {
        warnings: stored.warnings.filter((w): w is string => typeof w === 'string'),
        ...(typeof stored.summary === 'string' && { summary: stored.summary }),
        ...(typeof stored.note === 'string' && { note: stored.note }),
      };
      return { source: stored.source, report };
    } catch {
      return undefined; // a cache written before reports were kept: nothing to say again
    }
  }

  /** Written before the result it describes: a reader that finds the result finds its report. */
  #writeReport(key: string, source: string, report: ModuleReport): void {
    this.#write(`${key}.json`, new TextEncoder().encode(JSON.stringify({ source, ...report } satisfies StoredReport)));
  }

  /** Written under a temporary name, then renamed: a reader never sees half a file. */
  #write(name: string, bytes: Uint8Array): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(this.dir, name));
  }
}

/**
 * The pass starts each text with the name it was given (`public/a.wasm: no allocator
 * found, …`); a result cached for `from` and served as `to` says `to`.
 */
function relabel<T extends ModuleReport>(report: T, from: string, to: string): T {
  if (from === to) return report;
  const swap = (text: string) => (text.startsWith(`${from}: `) ? `${to}${text.slice(from.length)}` : text);
  return {
    ...report,
    warnings: report.warnings.map(swap),
    ...(report.summary !== undefined && { summary: swap(report.summary) }),
    ...(report.note !== undefined && { note: swap(report.note) }),
  };
}

function readableSiteTable(bytes: Uint8Array): boolean {
  try {
    return siteTableOf(bytes) !== undefined;
  } catch {
    return false;
  }
}
