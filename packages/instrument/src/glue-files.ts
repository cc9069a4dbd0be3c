// Finding the JS glue of a module on disk (Node only: the CLI's hook and the Vite
// plugin). Two ways, both cheap and both bounded:
//
// - beside the module: the scripts in its folder that name its file
//   (`sql-wasm.js` says "sql-wasm.wasm"), else those with its stem (`x.js` for
//   `x.wasm`, wasm-bindgen's `x.js` for `x_bg.wasm`);
// - on the stack: the scripts that were running when the module was compiled, which
//   is how a module instantiated from bytes (or inlined as base64) finds its glue.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GlueFile } from './find/index.js';

// What the glue finder reads from glue, without loading binaryen: for the Vite plugin's
// glue index and its cache key.
export { glueFingerprint, glueMappings } from './find/by-glue.js';

const SCRIPT = /\.(?:m|c)?js$/;
/** Glue is rarely above a few MB (Emscripten's with closure: 100–300 KB); a bundle of the whole app can be. */
const MAX_GLUE_BYTES = 16 << 20;
const MAX_FILES = 40;

function readScript(path: string): string | undefined {
  try {
    if (statSync(path).size > MAX_GLUE_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The scripts beside `wasmPath` that load it, most likely first. */
export function glueBeside(wasmPath: string): GlueFile[] {
  const dir = dirname(wasmPath);
  const file = basename(wasmPath);
  const stem = file.replace(/\.wasm$/, '');
  const stems = new Set([stem, stem.replace(/_bg$/, ''), `${stem}_bg`]);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => SCRIPT.test(n)).sort();
  } catch {
    return [];
  }
  // Same-stem scripts first: when one of them names the file, it is the glue, and the
  // folder's other scripts (sql.js ships eleven, some of them megabytes) are not read.
  const stemOf = (n: string) => n.replace(SCRIPT, '');
  const sameStem = names.filter((n) => stems.has(stemOf(n)));
  const read = (list: string[]) => list.flatMap((name) => {
    const text = readScript(join(dir, name));
    return text === undefined ? [] : [{ name, text }];
  });
  const stemGlue = read(sameStem);
  const naming = stemGlue.filter((g) => g.text.includes(file));
  if (naming.length) return naming;
  const others = read(names.filter((n) => !stems.has(stemOf(n))).slice(0, MAX_FILES)).filter((g) => g.text.includes(file));
  return others.length ? others : stemGlue;
}

/** Script files on a V8 stack trace (`at f (/path/x.js:1:2)`, `file:///path/x.mjs:1:2`), innermost first. */
export function scriptsOnStack(stack: string): string[] {
  const out: string[] = [];
  for (const m of stack.matchAll(/(?:\(|at )((?:file:\/\/)?\/[^():]+?\.(?:m|c)?js):\d+:\d+\)?$/gm)) {
    let path = m[1]!;
    if (path.startsWith('file:')) {
      try {
        path = fileURLToPath(path);
      } catch {
        continue;
      }
    }
    if (!out.includes(path)) out.push(path);
  }
  return out;
}

/**
 * The glue of a module compiled now: the scripts on the current stack (except those
 * under `ownDirs`, the tracer's own packages), then those beside its file.
 */
export function glueForModule(wasmPath: string | undefined, stack: string, ownDirs: string[] = []): GlueFile[] {
  const glue: GlueFile[] = [];
  for (const path of scriptsOnStack(stack)) {
    if (glue.length >= 4) break;
    if (ownDirs.some((d) => path.startsWith(d))) continue;
    const text = readScript(path);
    if (text === undefined) continue;
    glue.push({ name: basename(path), text });
  }
  if (wasmPath) for (const g of glueBeside(wasmPath)) if (!glue.some((x) => x.text === g.text)) glue.push(g);
  return glue;
}
