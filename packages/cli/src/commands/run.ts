// wasm-tracemalloc run PROG.wasm [options] [-- ARGS]
// Runs a WASI command under Node, instrumented on the fly, and reports at exit.
// The report goes to stderr so that the program's stdout is unchanged.

import { basename } from 'node:path';
import { instantiateTraced, start, takeSnapshot, type SideTable } from '@wasm-tracemalloc/runtime';
import { parse, maxFramesFor, REPORT_OPTIONS, UsageError } from '../args.js';
import { cacheDir, ModuleCache } from '../cache/module-cache.js';
import { writeExitReport } from '../exit-report.js';
import { ProgramFailure } from '../failure.js';
import { readInput, readInputText } from '../input-files.js';
import { instrumentInWorker } from '../instrumenter/worker-thread.js';
import { instrumentHook } from '../node-hook.js';
import { runOptions } from '../run-options.js';

const RUN_USAGE = 'usage: wasm-tracemalloc run PROG.wasm [options] [-- ARGS]';

/** node:wasi warns that it is experimental on first use; that is our concern, not the user's. */
async function importWasiQuietly(): Promise<typeof import('node:wasi')> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(typeof warning === 'string' ? warning : warning.message).includes('WASI')) return;
    (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  return import('node:wasi');
}

export async function runCommand(argv: string[], err: (line: string) => void): Promise<number> {
  const dash = argv.indexOf('--');
  const ours = dash >= 0 ? argv.slice(0, dash) : argv;
  const progArgs = dash >= 0 ? argv.slice(dash + 1) : [];
  const { values, positionals } = parse(ours, { ...REPORT_OPTIONS, 'source-map': { type: 'string' } });
  const prog = positionals[0];
  if (!prog) throw new UsageError(RUN_USAGE);
  if (positionals.length > 1) {
    throw new UsageError(`put the program's arguments after --: wasm-tracemalloc run ${prog} [options] -- ${positionals.slice(1).join(' ')}`);
  }
  const opts = runOptions(values);
  const sourceMap = values['source-map'] === undefined ? undefined : readInputText(values['source-map']);
  const bytes = new Uint8Array(readInput(prog));
  const symbolsFrom = opts.symbolsFrom === undefined ? undefined : new Uint8Array(readInput(opts.symbolsFrom));
  // A source map given on the command line is not a file the cache can stamp: no cache then.
  const cache = opts.cache && sourceMap === undefined ? new ModuleCache(cacheDir()) : undefined;
  // In a worker, started only if the cache misses: a repeat run loads no binaryen.
  const hook = instrumentHook(instrumentInWorker, {
    alloc: opts.alloc,
    maxFrames: maxFramesFor(opts.nframe),
    symbols: opts.symbols,
    symbolsFrom,
    symbolsFromName: values['symbols-from'],
    pathOf: () => prog,
    glue: [],
    cache,
    rethrowBadInput: true,
    warn: (w) => err(`warning: ${w}`),
    ...(sourceMap !== undefined && { sourceMap }),
  });
  const prepared = hook(bytes, prog);
  const { WASI } = await importWasiQuietly();
  const wasi = new WASI({
    version: 'preview1',
    args: [basename(prog), ...progArgs],
    env: process.env as Record<string, string>,
    preopens: { '.': process.cwd(), '/': '/' },
    returnOnExit: true,
  });
  start(opts.nframe, { samplingIntervalBytes: opts.samplingIntervalBytes });
  // --symbols side: the frames travel beside the module, as they would from OUT.wasm.sites.json.
  const [traced, sites]: [Uint8Array, SideTable | undefined] = prepared instanceof Uint8Array ? [prepared, undefined] : [prepared.bytes, prepared.sites];
  const { instance } = await instantiateTraced(traced as Uint8Array<ArrayBuffer>, { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, { name: basename(prog), sites });
  if (typeof instance.exports._start !== 'function') {
    throw new UsageError(`${prog} has no _start export: run executes WASI commands (for a library module, load it from a script with "wasm-tracemalloc node SCRIPT")`);
  }
  const report = (code: number) =>
    writeExitReport(takeSnapshot(), { label: `wasm-tracemalloc: ${basename(prog)}`, key: opts.key, top: opts.top, cumulative: opts.cumulative, format: opts.report, reportFile: opts.reportFile, snapshotFile: opts.snapshot, limits: opts.limits }, code, err);
  let code: number;
  try {
    code = wasi.start(instance) ?? 0;
  } catch (e) {
    // A trap, or an exception from an import: the program's failure, reported as node
    // reports an uncaught error (exit 1), after our report of what it had allocated.
    report(1);
    throw new ProgramFailure(prog, e);
  }
  return report(code);
}
