// Preloaded by `wasm-tracemalloc node` (node --import): installs the global hook with
// the instrument pass, starts tracing, and reports to stderr when the program exits.

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { install, start, takeSnapshot, isTracing } from '@wasm-tracemalloc/runtime';
import { instrumentHook } from './node-hook.js';
import { formatSummary, formatTop } from './report.js';
import { PRELOAD_ENV, type PreloadConfig } from './commands/node.js';
import { wasmFiles } from './wasm-file-names.js';
import { maxFramesFor } from './args.js';

const config = JSON.parse(process.env[PRELOAD_ENV] ?? '{}') as PreloadConfig;
const err = (line: string) => process.stderr.write(`${line}\n`);

const files = wasmFiles();
const glue = config.glue?.map((path) => ({ name: basename(path), text: readFileSync(path, 'utf8') }));
const symbolsFrom = config.symbolsFrom === undefined ? undefined : new Uint8Array(readFileSync(config.symbolsFrom));
install({
  instrument: instrumentHook({ alloc: config.alloc, maxFrames: maxFramesFor(config.nframe ?? 1), symbols: config.symbols, symbolsFrom, symbolsFromName: config.symbolsFrom, pathOf: files.pathOf, glue, summary: (line) => err(`wasm-tracemalloc: ${line}`), warn: (w) => err(`wasm-tracemalloc: warning: ${w}`) }),
  nameOf: files.nameOf,
});
start(config.nframe ?? 1, { samplingIntervalBytes: config.samplingIntervalBytes ?? 0 });

process.on('exit', () => {
  if (!isTracing()) return;
  const snapshot = takeSnapshot();
  for (const line of [...formatSummary(snapshot, 'wasm-tracemalloc'), ...formatTop(snapshot, { key: config.key ?? 'lineno', top: config.top ?? 10, cumulative: !!config.cumulative })]) err(line);
  if (config.snapshot) {
    writeFileSync(config.snapshot, snapshot.dump());
    err(`snapshot written to ${config.snapshot}`);
  }
});
