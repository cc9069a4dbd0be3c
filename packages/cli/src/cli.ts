// wasm-tracemalloc: instrument, run, node, show, cache.

import { readFileSync } from 'node:fs';
import { classify, exitCodeOf, internalMessage, ProgramFailure } from './failure.js';
import { EXIT_LIMIT_EXCEEDED } from './exit-report.js';
import { terminalText } from './terminal/terminal-text.js';

const USAGE = `wasm-tracemalloc: tracemalloc for WebAssembly

  wasm-tracemalloc instrument IN.wasm -o OUT.wasm [--max-frames N] [--symbols embed|side|none]
                       [--source-map FILE] [--symbols-from FILE] [--glue FILE.js]... [--alloc NAME=KIND]...
  wasm-tracemalloc run PROG.wasm [options] [-- ARGS]
  wasm-tracemalloc node [options] SCRIPT [ARGS]
  wasm-tracemalloc show SNAPSHOT [--compare OLD] [--key K] [--top N] [--cumulative] [--pprof OUT.pb.gz]
  wasm-tracemalloc show --web [--port N] [OLD.wtmsnap] NEW.wtmsnap
  wasm-tracemalloc cache dir|clear
  wasm-tracemalloc --version

Options of run and node:
  --nframe N (1 to 128)  --top N  --key lineno|filename|traceback  --cumulative
  --snapshot FILE        --sampling-interval-bytes N
  --symbols embed|side|none  --symbols-from FILE  --glue FILE.js  --alloc [MODULE.wasm:]NAME=KIND
  --limit-leaks SIZE     --limit-memory SIZE   (sizes: 1000, 512KiB, 1MB)
  --report text|json     --report-file FILE    --no-cache
  run also takes --source-map FILE.

KIND is one of alloc, calloc, realloc, free, memalign; NAME a function, import or
export name, or #INDEX. --symbols: source files and lines from DWARF or a source map,
kept in the module's site table (embed, the default), in OUT.wasm.sites.json (side),
or not at all (none). --symbols-from FILE: debug info for a stripped module, a debug
.wasm (Emscripten -gseparate-dwarf, or the unstripped build) or a symbol map
(--emit-symbol-map); without it, both are looked for beside the module.
--sampling-interval-bytes N traces a sample, one block per N bytes allocated on
average: much faster for allocation-heavy programs, and the sizes and counts
reported are estimates. Reports go to stderr; the program's own output is
unchanged.

--limit-leaks SIZE fails the run when more than SIZE is still allocated at exit,
--limit-memory SIZE when the peak exceeds SIZE: the report is printed and the exit
status is ${EXIT_LIMIT_EXCEEDED} (LeakSanitizer's), unless the program itself failed, whose
status is kept. --report json prints one JSON document instead of the text.

run and node keep instrumented modules in a cache, so that a repeat run costs a file
read: $WASM_TRACEMALLOC_CACHE_DIR, else $XDG_CACHE_HOME/wasm-tracemalloc, else
~/.cache/wasm-tracemalloc. --no-cache skips it; "wasm-tracemalloc cache clear" empties it.

Exit status: the program's own; ${EXIT_LIMIT_EXCEEDED} for an exceeded limit; 2 for a bad command
line or input; 70 for an internal error (please report it).`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `--help` among our own arguments (for `node`, before the script; for `run`, before `--`). */
function asksForHelp(command: string | undefined, rest: string[]): boolean {
  const isHelp = (a: string) => a === '--help' || a === '-h';
  if (command === 'node') {
    const script = rest.findIndex((a) => !a.startsWith('-'));
    return (script < 0 ? rest : rest.slice(0, script)).some(isHelp);
  }
  const dashdash = rest.indexOf('--');
  return (dashdash < 0 ? rest : rest.slice(0, dashdash)).some(isHelp);
}

export async function main(argv: string[]): Promise<number> {
  // Every line we print may carry names from a module or a snapshot: none reaches the terminal raw.
  const out = (line: string) => process.stdout.write(`${terminalText(line)}\n`);
  const err = (line: string) => process.stderr.write(`${terminalText(line)}\n`);
  const usage = (stream: NodeJS.WriteStream) => stream.write(`${USAGE}\n`);
  const [command, ...rest] = argv;
  if (asksForHelp(command, rest)) {
    usage(process.stdout);
    return 0;
  }
  try {
    switch (command) {
      // Loaded on demand: `node` must not pull node:wasi (and its warning) into the parent.
      case 'instrument': return (await import('./commands/instrument.js')).instrumentCommand(rest, out, err);
      case 'run': return await (await import('./commands/run.js')).runCommand(rest, err);
      case 'node': return await (await import('./commands/node.js')).nodeCommand(rest);
      case 'show': return await (await import('./commands/show.js')).showCommand(rest, out);
      case 'cache': return (await import('./commands/cache.js')).cacheCommand(rest, out);
      case '--version': case '-V': case 'version':
        out(`wasm-tracemalloc ${version()}`);
        return 0;
      case undefined: case '-h': case '--help': case 'help':
        usage(command === undefined ? process.stderr : process.stdout);
        return command === undefined ? 2 : 0;
      default:
        err(`wasm-tracemalloc: unknown command "${command}"; the commands are instrument, run, node, show and cache (wasm-tracemalloc --help)`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ProgramFailure) {
      // As node reports an uncaught error: one line and status 1, the program's failure, not ours.
      err(`wasm-tracemalloc run: ${e.message}`);
      return 1;
    }
    const failure = classify(e);
    err(`wasm-tracemalloc ${command}: ${failure.message}`);
    return exitCodeOf(failure);
  }
}

/** Errors outside main's await (an event handler's): one line, never a stack trace or a dependency's source. */
export function reportUncaught(e: unknown): void {
  process.stderr.write(`${terminalText(`wasm-tracemalloc: ${internalMessage(e)}`)}\n`);
  process.exit(70);
}
