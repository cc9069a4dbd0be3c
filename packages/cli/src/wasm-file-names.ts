// Remembers which file each buffer of a `.wasm` file was read from, so that frames say
// `lib_rs.wasm` rather than a content hash when a program passes bare bytes to
// WebAssembly.instantiate, and files beside the module (its debug .wasm, symbol map,
// source map) are found. Wraps fs.readFileSync, fs.readFile and fs.promises.readFile;
// the wrappers only look at the path and pass everything through unchanged.

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function wasmFileNames(): (bytes: Uint8Array) => string | undefined {
  return wasmFiles().nameOf;
}

/** Length and a hash of a sample of the bytes (every 4 KiB, and the last 256): cheap for a 16 MB module. */
function contentKey(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h = Math.imul(h ^ b, 0x01000193);
  };
  for (let i = 0; i < bytes.length; i += 4096) mix(bytes[i]!);
  for (let i = Math.max(0, bytes.length - 256); i < bytes.length; i++) mix(bytes[i]!);
  return `${bytes.length}:${(h >>> 0).toString(16)}`;
}

/** nameOf: the file name (`lib_rs.wasm`); pathOf: its absolute path. */
export function wasmFiles(): { nameOf: (bytes: Uint8Array) => string | undefined; pathOf: (bytes: Uint8Array) => string | undefined } {
  const paths = new WeakMap<object, string>();
  const remember = (path: unknown, data: unknown) => {
    let p: string | undefined;
    try {
      p = path instanceof URL ? fileURLToPath(path) : typeof path === 'string' ? resolve(path) : undefined;
    } catch {
      p = undefined; // a URL that is not file:, which fs would not have read
    }
    if (!p || !p.endsWith('.wasm') || !(data instanceof Uint8Array)) return;
    paths.set(data, p);
    paths.set(data.buffer, p);
    byContent.set(contentKey(data), p);
  };
  // Glue often copies what it read (`new Uint8Array(buf)`, a slice of a pooled
  // Buffer) before compiling it: the bytes, not the object, then say which file it was.
  const byContent = new Map<string, string>();
  const readFileSync = fs.readFileSync;
  fs.readFileSync = function (this: unknown, ...args: unknown[]) {
    const data = (readFileSync as (...a: unknown[]) => unknown).apply(this, args);
    remember(args[0], data);
    return data;
  } as typeof fs.readFileSync;
  const readFile = fs.promises.readFile;
  fs.promises.readFile = async function (this: unknown, ...args: unknown[]) {
    const data = await (readFile as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    remember(args[0], data);
    return data;
  } as typeof fs.promises.readFile;
  const readFileCb = fs.readFile;
  fs.readFile = function (this: unknown, ...args: unknown[]) {
    const cb = args.at(-1);
    if (typeof cb === 'function') {
      args[args.length - 1] = (e: unknown, data: unknown) => {
        if (!e) remember(args[0], data);
        (cb as (...a: unknown[]) => void)(e, data);
      };
    }
    return (readFileCb as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof fs.readFile;
  syncBuiltinESMExports(); // so that `import { readFileSync } from 'node:fs'` sees the wrappers too
  const pathOf = (bytes: Uint8Array) => paths.get(bytes) ?? paths.get(bytes.buffer) ?? byContent.get(contentKey(bytes));
  return {
    pathOf,
    nameOf: (bytes) => {
      const p = pathOf(bytes);
      return p === undefined ? undefined : basename(p);
    },
  };
}
