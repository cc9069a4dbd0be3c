// wasm-tracemalloc run PROG.wasm [--nframe N] [--sampling-interval-bytes N] [--top N] [--key K] [--snapshot FILE] [--symbols-from FILE] [-- ARGS]
// Runs a WASI command under Node, instrumented on the fly, and reports at exit.
// The report goes to stderr so that the program's stdout is unchanged.

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { instrument } from '@wasm-tracemalloc/instrument';
import { instantiateTraced, start, takeSnapshot } from '@wasm-tracemalloc/runtime';
import { parse, intOption, keyOption, maxFramesFor, samplingOption, symbolsFromOption, symbolsOption, REPORT_OPTIONS, UsageError } from '../args.js';
import { nodeFiles } from '../node-hook.js';
import { formatSummary, formatTop } from '../report.js';

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
  if (!prog || positionals.length > 1) throw new UsageError('usage: wasm-tracemalloc run PROG.wasm [--nframe N] [--sampling-interval-bytes N] [--top N] [--key lineno|filename|traceback] [--snapshot FILE] [--symbols embed|side|none] [--source-map FILE] [--symbols-from FILE] [-- ARGS]');
  const nframe = intOption(values.nframe, 'nframe', 1);
  const samplingIntervalBytes = samplingOption(values['sampling-interval-bytes']);
  const top = intOption(values.top, 'top', 10);
  const key = keyOption(values.key);
  const symbols = symbolsOption(values.symbols);
  const sourceMap = values['source-map'] === undefined ? undefined : readFileSync(values['source-map'], 'utf8');

  const symbolsFromPath = symbolsFromOption(values['symbols-from']);
  const symbolsFrom = symbolsFromPath === undefined ? undefined : new Uint8Array(readFileSync(symbolsFromPath));
  const result = instrument(readFileSync(prog), { source: prog, alloc: values.alloc, maxFrames: maxFramesFor(nframe), symbols, sourceMap, symbolsFrom, symbolsFromName: values['symbols-from'], ...nodeFiles(prog) });
  const { WASI } = await importWasiQuietly();
  for (const w of result.warnings) err(`warning: ${w}`);
  const wasi = new WASI({
    version: 'preview1',
    args: [basename(prog), ...progArgs],
    env: process.env as Record<string, string>,
    preopens: { '.': process.cwd(), '/': '/' },
    returnOnExit: true,
  });
  start(nframe, { samplingIntervalBytes });
  // --symbols side: the frames travel beside the module, as they would from OUT.wasm.sites.json.
  const sites = symbols === 'side' ? result.siteTable : undefined;
  const { instance } = await instantiateTraced(result.bytes, { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, { name: basename(prog), sites });
  if (typeof instance.exports._start !== 'function') {
    throw new UsageError(`${prog} has no _start export: run executes WASI commands (for a library module, load it from a script with "wasm-tracemalloc node SCRIPT")`);
  }
  const report = () => {
    const snapshot = takeSnapshot();
    for (const line of [...formatSummary(snapshot, `wasm-tracemalloc: ${basename(prog)}`), ...formatTop(snapshot, { key, top, cumulative: !!values.cumulative })]) err(line);
    if (values.snapshot) {
      writeFileSync(values.snapshot, snapshot.dump());
      err(`snapshot written to ${values.snapshot}`);
    }
  };
  let code: number;
  try {
    code = wasi.start(instance) ?? 0;
  } catch (e) {
    report();
    throw e;
  }
  report();
  return code;
}
