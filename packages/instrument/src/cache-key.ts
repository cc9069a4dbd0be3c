// The key of an instrumented module in a cache on disk: the CLI's (`node`/`run`) and
// the Vite plugin's use this one function, so that what makes an entry stale is said
// once. An entry is reused only when everything that shaped its bytes, and everything
// that will read them, is the same:
//
//   code      the instrument pass (this package's built files), binaryen's version, and
//             the runtime, whose site-table decoder reads the table the pass wrote;
//   settings  the caller's options that change the output (JSON);
//   glue      what the glue finder reads from the JS glue (glueFingerprint), not its text;
//   files     other inputs given as bytes (a --symbols-from file);
//   module    the module's bytes.
//
// Loads no binaryen: a cache hit must not pay for the pass it skips.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GlueFile } from './find/by-glue.js';
import { glueFingerprint } from './find/by-glue.js';

/**
 * SHA-1: a cache key needs no resistance to a chosen collision (whoever can write the
 * module can write the cache), and it is the fastest digest Node has built in: 16 ms
 * for lightningcss-wasm's 15.8 MB module here, against 32 ms for SHA-256.
 */
const DIGEST = 'sha1';

let code: string | undefined;

/** The built `.js` files under `dir`, by name, in a fixed order. */
function hashScripts(hash: ReturnType<typeof createHash>, dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) hashScripts(hash, path);
    else if (entry.name.endsWith('.js')) hash.update(entry.name).update(readFileSync(path));
  }
}

/**
 * A digest of the `.js` files under `dirs` and of the files `also` (their bytes; an
 * absent one counts as absent).
 */
export function scriptsFingerprint(dirs: readonly string[], also: readonly string[] = []): string {
  const hash = createHash(DIGEST);
  for (const dir of dirs) hashScripts(hash, dir);
  for (const file of also) {
    try {
      hash.update(file).update(readFileSync(file));
    } catch {
      hash.update(file).update('\0absent');
    }
  }
  return hash.digest('hex');
}

/**
 * A digest of the code that writes and reads an instrumented module: this package's
 * built files, the runtime's, and binaryen's package.json (its version). A workspace
 * build changes no version number, so the built files themselves are hashed (about
 * 0.5 MB, read once per process: 8 ms).
 */
export function codeFingerprint(): string {
  if (code !== undefined) return code;
  const require = createRequire(import.meta.url);
  let binaryen: string[] = [];
  try {
    binaryen = [join(dirname(require.resolve('binaryen')), 'package.json')];
  } catch {
    // binaryen laid out otherwise: its version is then not part of the key
  }
  code = scriptsFingerprint([dirname(fileURLToPath(import.meta.url)), dirname(require.resolve('@wasm-tracemalloc/runtime'))], binaryen);
  return code;
}

/** By object: the Vite plugin's glue index hands out the same GlueFile on every request. */
const glueFingerprints = new WeakMap<GlueFile, string>();

/** What the glue finder reads from `glue`, in order; '' for none. */
export function glueKey(glue: readonly GlueFile[]): string {
  return glue
    .map((g) => {
      let f = glueFingerprints.get(g);
      if (f === undefined) glueFingerprints.set(g, (f = glueFingerprint([g])));
      return f;
    })
    .join('\n');
}

export interface CacheKeyInputs {
  /** The options that change the output; JSON-serialisable. */
  settings: unknown;
  glue?: readonly GlueFile[];
  /** Further inputs as bytes (a --symbols-from file). */
  files?: readonly Uint8Array[];
}

/** 40 hex digits naming `module` instrumented with `inputs` by this code. */
export function instrumentCacheKey(module: Uint8Array, inputs: CacheKeyInputs): string {
  const hash = createHash(DIGEST).update(codeFingerprint()).update('\0').update(JSON.stringify(inputs.settings) ?? 'null');
  hash.update('\0').update(glueKey(inputs.glue ?? []));
  for (const file of inputs.files ?? []) hash.update('\0').update(createHash(DIGEST).update(file).digest());
  return hash.update('\0').update(module).digest('hex');
}
