// wasm-tracemalloc show SNAPSHOT [--compare OLD | --peak] [--key K] [--top N] [--cumulative] [--pprof OUT.pb.gz]
// wasm-tracemalloc show --web [--port N] [OLD.wtmsnap] NEW.wtmsnap

import { existsSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Snapshot } from '@wasm-tracemalloc/runtime/model';
import { snapshotToPprof } from '@wasm-tracemalloc/runtime/pprof';
import { parse, intOption, keyOption, UsageError } from '../args.js';
import { checkOutput, readInput } from '../input-files.js';
import { formatDiff, formatPeak, formatSummary, formatThreads, formatTop } from '../report.js';

const SHOW_USAGE = 'usage: wasm-tracemalloc show SNAPSHOT [--compare OLD | --peak] [--key lineno|filename|traceback] [--top N] [--cumulative] [--pprof OUT.pb.gz], or show --web [--port N] [OLD] NEW';

function load(file: string): Snapshot {
  return Snapshot.load(new Uint8Array(readInput(file)), file);
}

export async function showCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse(argv, {
    compare: { type: 'string' },
    key: { type: 'string' },
    top: { type: 'string' },
    cumulative: { type: 'boolean' },
    peak: { type: 'boolean' },
    pprof: { type: 'string' },
    web: { type: 'boolean' },
    port: { type: 'string' },
  });
  if (values.web) return showWeb(values.compare === undefined ? positionals : [values.compare, ...positionals], values.port, out);
  if (values.port !== undefined) throw new UsageError('--port goes with --web');
  if (values.peak && values.compare !== undefined) throw new UsageError('--peak shows one snapshot\'s peak composition; leave out --compare');
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(SHOW_USAGE);
  const opts = { key: keyOption(values.key), top: intOption(values.top, 'top', 10), cumulative: !!values.cumulative };
  checkOutput(values.pprof, '--pprof');
  const snapshot = load(file);
  const lines = formatSummary(snapshot, file);
  if (values.compare) lines.push(...formatDiff(snapshot, load(values.compare), opts));
  else if (values.peak) lines.push(...formatPeak(snapshot, opts));
  else lines.push(...formatTop(snapshot, opts), ...formatThreads(snapshot, opts));
  if (values.pprof !== undefined) {
    // pprof files are gzip-compressed protobuf; snapshotToPprof stays free of Node APIs.
    const profile = snapshotToPprof(snapshot, { comments: [`wasm-tracemalloc snapshot ${basename(file)}`] });
    writeFileSync(values.pprof, gzipSync(profile));
    lines.push(`pprof profile written to ${values.pprof} (inuse_objects, inuse_space)`);
  }
  for (const line of lines) out(line);
  return 0;
}

/** Serves until interrupted (Ctrl-C), as `go tool pprof -http` does. */
async function showWeb(files: string[], portText: string | undefined, out: (line: string) => void): Promise<number> {
  if (files.length < 1 || files.length > 2) throw new UsageError('show --web takes one snapshot, or two to compare: show --web OLD.wtmsnap NEW.wtmsnap');
  const port = intOption(portText, 'port', 0, 0, 65535);
  for (const file of files) load(file); // a bad snapshot is refused here, not in the browser
  const { serveViewer, viewerDist } = await import('../web/viewer-server.js');
  const dist = viewerDist();
  if (!dist) throw new UsageError('the viewer (@wasm-tracemalloc/viewer) is not installed beside the CLI; reinstall wasm-tracemalloc');
  if (!existsSync(`${dist}/index.html`)) throw new UsageError(`the viewer is not built (no ${dist}/index.html): run pnpm --filter @wasm-tracemalloc/viewer run build`);
  let served;
  try {
    served = await serveViewer(dist, files, port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`--port ${port} is in use; choose another, or leave --port out for a free one`);
    throw e;
  }
  out(`Serving the viewer on ${files.join(' and ')} at`);
  out(`  ${served.url}`);
  out('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => {
      served.server.close(() => resolve());
      served.server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
