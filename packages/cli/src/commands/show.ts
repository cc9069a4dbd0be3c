// wasm-tracemalloc show SNAPSHOT [--compare OLD] [--key K] [--top N] [--cumulative] [--pprof OUT.pb.gz]

import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Snapshot } from '@wasm-tracemalloc/runtime/model';
import { snapshotToPprof } from '@wasm-tracemalloc/runtime/pprof';
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
    pprof: { type: 'string' },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('usage: wasm-tracemalloc show SNAPSHOT [--compare OLD] [--key lineno|filename|traceback] [--top N] [--cumulative] [--pprof OUT.pb.gz]');
  const opts = { key: keyOption(values.key), top: intOption(values.top, 'top', 10), cumulative: !!values.cumulative };
  const snapshot = load(file);
  const lines = formatSummary(snapshot, file);
  if (values.compare) lines.push(...formatDiff(snapshot, load(values.compare), opts));
  else lines.push(...formatTop(snapshot, opts));
  if (values.pprof !== undefined) {
    // pprof files are gzip-compressed protobuf; snapshotToPprof stays free of Node APIs.
    const profile = snapshotToPprof(snapshot, { comments: [`wasm-tracemalloc snapshot ${basename(file)}`] });
    writeFileSync(values.pprof, gzipSync(profile));
    lines.push(`pprof profile written to ${values.pprof} (inuse_objects, inuse_space)`);
  }
  for (const line of lines) out(line);
  return 0;
}
