// wasm-tracemalloc cache dir|clear: where instrumented modules are kept between runs, and emptying it.

import { formatSize } from '@wasm-tracemalloc/runtime/model';
import { UsageError } from '../args.js';
import { cacheDir, ModuleCache } from '../cache/module-cache.js';

export function cacheCommand(argv: string[], out: (line: string) => void): number {
  const [action, ...rest] = argv;
  if (rest.length > 0 || (action !== 'dir' && action !== 'clear')) throw new UsageError('usage: wasm-tracemalloc cache dir|clear');
  const dir = cacheDir();
  if (action === 'dir') {
    out(dir);
    return 0;
  }
  const { files, bytes } = new ModuleCache(dir).clear();
  out(`removed ${files} files (${formatSize(bytes)}) from ${dir}`);
  return 0;
}
