/**
 * Which file a `.wasm` request to the dev server names, the way Vite's own static
 * middlewares would answer it: `public/` first, then the project root, then
 * `/@fs/<absolute path>` (files outside the root: linked packages, pnpm's store).
 * `?init`, `?url` and `new URL('x.wasm', import.meta.url)` all end up as such a
 * plain request in dev, and so does Wasm that a dependency's glue fetches.
 *
 * Requests that Vite answers with JavaScript (`x.wasm?init&import`, `?url`, `?raw`, …)
 * are not ours: only a bare path, or one with Vite's cache-busting `t`/`v`, is.
 */

import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { isFileLoadingAllowed, normalizePath, type ResolvedConfig } from 'vite';

const FS_PREFIX = '/@fs/';
const PLAIN_QUERY_KEYS = new Set(['t', 'v']);

/** The absolute path of the `.wasm` file `url` names, or undefined if it is not a plain `.wasm` request. */
export function wasmFileOf(url: string, config: ResolvedConfig): string | undefined {
  const parsed = new URL(url, 'http://vite.invalid');
  if (!parsed.pathname.endsWith('.wasm')) return undefined;
  for (const key of parsed.searchParams.keys()) if (!PLAIN_QUERY_KEYS.has(key)) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return undefined;
  }
  if (path.includes('\0')) return undefined;
  const base = config.base.endsWith('/') ? config.base : `${config.base}/`;
  if (base !== '/' && path.startsWith(base)) path = `/${path.slice(base.length)}`;

  if (path.startsWith(FS_PREFIX)) return allowed(fsPath(path.slice(FS_PREFIX.length)), config);
  if (config.publicDir) {
    const file = inside(config.publicDir, path);
    if (file && isFile(file)) return file; // public files are served as they are, wherever they point
  }
  const file = inside(config.root, path);
  return file && isFile(file) ? allowed(file, config) : undefined;
}

/** `/@fs/` paths are absolute; on Windows they look like `/@fs/C:/x.wasm`. */
function fsPath(rest: string): string {
  return /^[A-Za-z]:\//.test(rest) ? rest : `/${rest}`;
}

function inside(dir: string, path: string): string | undefined {
  const root = normalize(dir);
  const file = normalize(join(root, path));
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : undefined;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** As Vite's `server.fs` rules: outside the allowed dirs, or denied (.env, …), it is not ours to serve. */
function allowed(file: string, config: ResolvedConfig): string | undefined {
  if (!existsSync(file) || !isFile(file)) return undefined;
  return isFileLoadingAllowed(config, normalizePath(file)) ? file : undefined;
}
