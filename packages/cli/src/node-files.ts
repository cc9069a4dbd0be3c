// How the instrument pass reads files in Node (the hook, the instrument worker and
// `wasm-tracemalloc instrument`).

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readBytes(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** A URL with a scheme other than file: (http:, https:, data:), which we do not fetch. */
const remote = (url: string) => /^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('file:');

/**
 * How the pass reads files in Node: sources by the path the debug info gives (DWARF
 * paths are already joined with DW_AT_comp_dir; source-map paths are relative to the
 * module), and the map a module's sourceMappingURL names, its debug .wasm
 * (external_debug_info) and its symbol map, next to the module.
 */
export function nodeFiles(wasmPath?: string, onRead?: (path: string) => void): {
  readSource: (path: string) => string | undefined;
  readSourceMap: (url: string) => string | undefined;
  readDebugFile: (name: string) => Uint8Array | undefined;
} {
  const base = wasmPath ? dirname(resolve(wasmPath)) : process.cwd();
  const local = (p: string) => {
    const path = p.startsWith('file:') ? fileURLToPath(p) : isAbsolute(p) ? p : resolve(base, p);
    onRead?.(path);
    return path;
  };
  return {
    readSource: (path) => readText(local(path)),
    readSourceMap: (url) => (remote(url) ? undefined : readText(local(url))),
    readDebugFile: (name) => (remote(name) ? undefined : readBytes(local(name))),
  };
}
