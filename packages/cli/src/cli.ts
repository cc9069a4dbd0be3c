// wasm-tracemalloc: instrument, run, node, show.

import { InstrumentError } from '@wasm-tracemalloc/instrument';
import { UsageError } from './args.js';

const USAGE = `wasm-tracemalloc: tracemalloc for WebAssembly

  wasm-tracemalloc instrument IN.wasm -o OUT.wasm [--max-frames N] [--symbols embed|side|none]
                       [--source-map FILE] [--symbols-from FILE] [--alloc NAME=KIND]...
  wasm-tracemalloc run PROG.wasm [--nframe N] [--sampling-interval-bytes N] [--top N]
                       [--key lineno|filename|traceback] [--cumulative] [--snapshot FILE]
                       [--symbols embed|side|none] [--symbols-from FILE]
                       [--source-map FILE] [--alloc NAME=KIND]... [-- ARGS]
  wasm-tracemalloc node [same options] SCRIPT [ARGS]
  wasm-tracemalloc show SNAPSHOT [--compare OLD] [--key K] [--top N] [--cumulative] [--pprof OUT.pb.gz]

KIND is one of alloc, calloc, realloc, free, memalign; NAME a function, import or
export name, or #INDEX. --symbols: source files and lines from DWARF or a source map,
kept in the module's site table (embed, the default), in OUT.wasm.sites.json (side),
or not at all (none). --symbols-from FILE: debug info for a stripped module, a debug
.wasm (Emscripten -gseparate-dwarf, or the unstripped build) or a symbol map
(--emit-symbol-map); without it, both are looked for beside the module.
--sampling-interval-bytes N traces a sample, one block per N bytes allocated on
average: much faster for allocation-heavy programs, and the sizes and counts
reported are estimates. Reports go to stderr; the program's own output is
unchanged.`;

export async function main(argv: string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const [command, ...rest] = argv;
  // `wasm-tracemalloc run --help`: the usage, not an error (after `--` it is the program's).
  const dashdash = rest.indexOf('--');
  if (command !== 'node' && (dashdash < 0 ? rest : rest.slice(0, dashdash)).some((a) => a === '--help' || a === '-h')) {
    out(USAGE);
    return 0;
  }
  try {
    switch (command) {
      // Loaded on demand: `node` must not pull node:wasi (and its warning) into the parent.
      case 'instrument': return (await import('./commands/instrument.js')).instrumentCommand(rest, out, err);
      case 'run': return await (await import('./commands/run.js')).runCommand(rest, err);
      case 'node': return await (await import('./commands/node.js')).nodeCommand(rest);
      case 'show': return (await import('./commands/show.js')).showCommand(rest, out);
      case undefined: case '-h': case '--help': case 'help':
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        err(`wasm-tracemalloc: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof InstrumentError) {
      err(`wasm-tracemalloc ${command}: ${e.message}`);
      return 2;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      err(`wasm-tracemalloc ${command}: ${(e as Error).message}`);
      return 2;
    }
    if (e instanceof Error && /^(not a|unsupported|truncated|corrupt)|snapshot/i.test(e.message) && command === 'show') {
      err(`wasm-tracemalloc show: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
