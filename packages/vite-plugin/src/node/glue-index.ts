/**
 * Which JS modules load which `.wasm`: the dev server (and a build) sees the code of
 * every module it serves, so the glue of a module is known even when the app copies the
 * `.wasm` away from it (into public/, say) and imports the glue from node_modules.
 * instrument() reads the glue to name a release build's minified allocator exports
 * (wasm-bindgen's `__wbindgen_export_1`, Emscripten's `wasmExports["M"]`): without it,
 * a stripped wasm-bindgen module is not traced at all.
 *
 * A module whose code names a `.wasm` file (wasm-bindgen's web glue says
 * `new URL('x_bg.wasm', import.meta.url)`, Emscripten's `locateFile("x.wasm")`) or
 * carries a glue signature (`passStringToWasm0`, `wasmExports`, `_malloc`) is read as
 * the glue finder reads it, and kept if that finds a mapping of exports to allocators
 * (`passStringToWasm0(s, wasm.__wbindgen_export_1, …)`, `_malloc = wasmExports["M"]`).
 * App code that only fetches the `.wasm`, or calls `Module._malloc(n)`, is not kept: it
 * tells the finder nothing, and as glue it would change the instrument cache's key (its
 * name is part of it) on every visit that happens not to load it.
 *
 * The glue of `x.wasm` is the kept modules that name `x.wasm`; when none does, those
 * that name no `.wasm` at all (glue whose module's URL the app passes in). The finder
 * takes a name the glue gives only when the module exports it with the allocator's
 * signature.
 *
 * Bounded: a module over 16 MB is not read (a whole app's bundle, not glue), nor more
 * than 64 modules or 64 MB of text kept (the oldest noted goes first), and a `.wasm`
 * gets at most 4 modules.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { GlueFile } from '@wasm-tracemalloc/instrument';
import { glueMappings } from '@wasm-tracemalloc/instrument/glue-files';

export interface GlueIndexLimits {
  /** Longest module text read, in characters. */
  maxText: number;
  /** Modules kept at most (the oldest noted goes first). */
  maxModules: number;
  /** Characters of text kept at most, all modules together. */
  maxTotal: number;
  /** Modules given for one `.wasm` at most. */
  perWasm: number;
  /** `.wasm` names one module is kept under at most (a manifest naming hundreds is not glue). */
  namesPerModule: number;
}

export const GLUE_LIMITS: GlueIndexLimits = { maxText: 16 << 20, maxModules: 64, maxTotal: 64 << 20, perWasm: 4, namesPerModule: 16 };

/** Worth reading as glue: wasm-bindgen's helpers and exports, Emscripten's exports and allocators, a `.wasm` file. */
const SIGNATURE = /\.wasm|ToWasm0|__wbindgen_|wasmExports|_malloc|_free/;
/** A `.wasm` file name, the last segment of a path or URL: `x_bg.wasm` in `new URL('./x_bg.wasm', …)`. */
const WASM_NAME = /[\w@+~-][\w@+~.-]*\.wasm(?![\w$-]|\.\w)/g;
/** Not JavaScript, whatever plugins made of it. */
const NOT_SCRIPT = /\.(?:css|less|sass|scss|styl|stylus|pcss|postcss|sss|html?|json|svg|md)$/i;
/** Where a bundle's glue is: the first of wasm-bindgen's helpers or Emscripten's exports. */
const GLUE_CALL = /ToWasm0\(|wasm\.__wbindgen_export_|wasmExports|_malloc\b/;
/** A bundler's note of the file the code below it came from: `// node_modules/pkg/x.js` (Vite's pre-bundled deps). */
const REGION = /^\/\/(?:#region)? (\S+\.[cm]?[jt]sx?)[ \t]*$/gm;

interface Kept {
  glue: GlueFile;
  /** The `.wasm` names its code mentions. */
  names: ReadonlySet<string>;
}

/** The module's path without Vite's query (`?v=…`, `?import`). */
const pathOf = (id: string) => id.replace(/[?#].*$/s, '');

/** The `.wasm` file names `code` mentions, at most `max`. */
export function wasmNamesIn(code: string, max = GLUE_LIMITS.namesPerModule): string[] {
  if (!code.includes('.wasm')) return [];
  const names = new Set<string>();
  for (const m of code.matchAll(WASM_NAME)) {
    names.add(m[0]);
    if (names.size >= max) break;
  }
  return [...names];
}

export class GlueIndex {
  /** By module path, oldest noted first. */
  readonly #modules = new Map<string, Kept>();
  #total = 0;

  constructor(
    readonly limits: GlueIndexLimits = GLUE_LIMITS,
    /** Paths of pre-bundled files (Vite's optimized deps), named after the glue they hold. */
    readonly bundled: (path: string) => boolean = () => false,
  ) {}

  /** How many modules are kept. */
  get size(): number {
    return this.#modules.size;
  }

  /** Notes a module served with this code (again after an edit: the new code replaces the old). Returns whether it is kept. */
  note(id: string, code: string): boolean {
    const path = pathOf(id);
    this.#drop(path);
    if (NOT_SCRIPT.test(path) || code.length > this.limits.maxText || !SIGNATURE.test(code)) return false;
    const found = glueMappings(code);
    if (found.emscripten.length === 0 && found.bindgen.length === 0) return false;
    const names = wasmNamesIn(code, this.limits.namesPerModule);
    this.#modules.set(path, { glue: { name: glueName(path, code, this.bundled(path)), text: code }, names: new Set(names) });
    this.#total += code.length;
    for (const [oldest] of this.#modules) {
      if (this.#modules.size <= this.limits.maxModules && this.#total <= this.limits.maxTotal) break;
      this.#drop(oldest);
    }
    return this.#modules.has(path);
  }

  /**
   * The glue of a `.wasm` file (its name, or a path whose last segment is used), by path:
   * the same order whatever the order the modules were noted in (a stable cache key).
   */
  glueFor(wasm: string): GlueFile[] {
    const name = basename(wasm);
    const all = [...this.#modules.entries()];
    let found = all.filter(([, k]) => k.names.has(name));
    if (found.length === 0) found = all.filter(([, k]) => k.names.size === 0);
    return found
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, this.limits.perWasm)
      .map(([, k]) => k.glue);
  }

  #drop(path: string): void {
    const kept = this.#modules.get(path);
    if (!kept) return;
    this.#total -= kept.glue.text.length;
    this.#modules.delete(path);
  }
}

/**
 * What the summary calls a glue module: its file name; for a pre-bundled file, the name
 * of the source file its glue came from (`oxc_parser_wasm.js`, not
 * `@oxc-parser_wasm_web_oxc___parser___wasm__js.js`).
 */
function glueName(path: string, code: string, bundled: boolean): string {
  const own = basename(path);
  if (!bundled) return own;
  const at = code.search(GLUE_CALL);
  const anchor = at >= 0 ? at : code.search(/\.wasm/);
  let name: string | undefined;
  for (const m of code.matchAll(REGION)) {
    if (m.index! > anchor) break;
    name = basename(m[1]!);
  }
  return name ?? own;
}

/**
 * Notes the scripts of a pre-bundled deps folder (Vite's `<cacheDir>/deps`). A browser
 * keeps those as immutable: after a restart of the dev server it does not ask for them
 * again, and the transform hook never sees them.
 */
export function noteBundledDir(index: GlueIndex, dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.[cm]?js$/.test(n)).sort();
  } catch {
    return;
  }
  for (const n of names) {
    const path = join(dir, n);
    try {
      if (statSync(path).size > index.limits.maxText) continue;
      const text = readFileSync(path, 'utf8');
      index.note(path, text);
    } catch {
      // gone (Vite re-optimized meanwhile): its replacement is asked for and transformed
    }
  }
}
