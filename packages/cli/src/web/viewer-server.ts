// `show --web`: the built viewer on a local port, opened on snapshot files, as
// `go tool pprof -http` does for profiles. It serves the viewer's own files and the
// snapshots named on the command line, nothing else: paths are looked up, never
// joined onto the file system, so no request reaches another file. It listens on
// 127.0.0.1 only and answers only requests addressed to it by that name (or
// localhost), so that a web page cannot read it through DNS rebinding.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.wtmsnap': 'application/octet-stream',
};

/** The viewer's dist/ directory, or undefined when the package does not resolve. */
export function viewerDist(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@wasm-tracemalloc/viewer/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

/** Every file under `dir`, by its URL path (`/assets/index-x.js`). Map lookups only: no traversal. */
function listFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !/\.test\.|\.map$/.test(entry.name)) files.set(`/${relative(dir, path).split(sep).join('/')}`, path);
    }
  };
  walk(dir);
  return files;
}

export interface ViewerServer {
  server: Server;
  /** The page, opened on the snapshots (the last selected, compared with the first when there are two). */
  url: string;
}

/**
 * Serves `dist` and `snapshots` (files, in the viewer's order: before, after) on
 * 127.0.0.1:`port` (0: any free port).
 */
export async function serveViewer(dist: string, snapshots: string[], port: number): Promise<ViewerServer> {
  const files = listFiles(dist);
  const snapshotPaths = snapshots.map((file, i) => `/snapshots/${i}/${encodeURIComponent(basename(file))}`);
  snapshotPaths.forEach((p, i) => files.set(p, snapshots[i]!));
  const server = createServer((req, res) => handle(req, res, files, () => (server.address() as { port: number }).port));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  const query = new URLSearchParams();
  for (const p of snapshotPaths) query.append('url', p.slice(1));
  if (snapshots.length > 1) {
    query.set('snap', String(snapshots.length - 1));
    query.set('base', '0');
  }
  return { server, url: `http://127.0.0.1:${actual}/?${query}` };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
}

function handle(req: IncomingMessage, res: ServerResponse, files: Map<string, string>, port: () => number): void {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) return send(res, 405, 'text/plain; charset=utf-8', 'GET only\n', false);
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port()}` && host !== `localhost:${port()}`) return send(res, 403, 'text/plain; charset=utf-8', 'wasm-tracemalloc show --web answers requests for 127.0.0.1 only\n', head);
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  const file = files.get(path === '/' ? '/index.html' : path);
  if (!file) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  let body: Buffer;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    body = readFileSync(file);
  } catch {
    return send(res, 404, 'text/plain; charset=utf-8', 'not found (the file is gone)\n', head);
  }
  const ext = /\.[a-z0-9]+$/i.exec(file)?.[0]?.toLowerCase() ?? '';
  return send(res, 200, TYPES[ext] ?? 'application/octet-stream', body, head);
}
