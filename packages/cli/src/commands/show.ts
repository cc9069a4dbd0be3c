// wasm-tracemalloc show SNAPSHOT [--compare OLD] [--key K] [--top N] [--cumulative]

import { readFileSync } from 'node:fs';
import { Snapshot } from '@wasm-tracemalloc/runtime/model';
import { parse, intOption, keyOption, UsageError } from '../args.js';
import { formatDiff, formatSummary, formatTop } from '../report.js';

function load(file: string): Snapshot {
  return Snapshot.load(new Uint8Array(readFileSync(file)), file);
}

export function showCommand(argv: string[], out: (line: string) => void): number {
  const { values, positionals } = parse(argv, {
    compare: { type: 'string' },
    key: { type: 'string' },
    top: { type: 'string' },
    cumulative: { type: 'boolean' },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('usage: wasm-tracemalloc show SNAPSHOT [--compare OLD] [--key lineno|filename|traceback] [--top N] [--cumulative]');
  const opts = { key: keyOption(values.key), top: intOption(values.top, 'top', 10), cumulative: !!values.cumulative };
  const snapshot = load(file);
  const lines = formatSummary(snapshot, file);
  if (values.compare) lines.push(...formatDiff(snapshot, load(values.compare), opts));
  else lines.push(...formatTop(snapshot, opts));
  for (const line of lines) out(line);
  return 0;
}
