// The files a command reads and writes, checked before any work: a typo in a path is
// a usage error naming the path, never a raw ENOENT, and an output that cannot be
// written is refused before the program runs rather than after.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.js';

/** The bytes of a file the user named; a missing or unreadable one is a UsageError. */
export function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`no such file: ${path}`);
    if (code === 'EISDIR') throw new UsageError(`${path} is a directory; give a file`);
    if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`${path}: permission denied`);
    throw e;
  }
}

export function readInputText(path: string): string {
  return readInput(path).toString('utf8');
}

/** An output file for `flag`: its directory must exist now, and it must not be a directory itself. */
export function checkOutput(path: string | undefined, flag: string): void {
  if (path === undefined) return;
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${path}: no such directory: ${dirname(path)}; create it first`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${flag} ${path} is a directory; give a file name`);
}
