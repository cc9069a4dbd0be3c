/**
 * Snapshots named by the page's URL: `?url=after.wtmsnap&url=before.wtmsnap`
 * (relative to the page, or absolute with CORS). Fetch failures name the URL and
 * the HTTP status.
 */

import type { DataSink, DataSource, SnapshotInput } from './data-source.js';

export function urlInput(url: string, base: string): SnapshotInput {
  let name = url;
  try {
    const path = new URL(url, base).pathname;
    name = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
  } catch {
    // not a URL: fetch reports it below
  }
  return {
    name,
    origin: 'url',
    url,
    read: async () => {
      let response: Response;
      let target: URL | undefined;
      try {
        target = new URL(url, base);
        response = await fetch(target);
      } catch (error) {
        // The browser hides why a cross-origin fetch failed; a missing CORS header is the usual reason.
        const page = pageOrigin(base);
        if (target !== undefined && page !== undefined && target.origin !== page) {
          throw new Error(`could not fetch ${url}: ${target.origin} is another origin, and it did not answer or did not allow this page to read the file: serve it with the header Access-Control-Allow-Origin: ${page} (or *), or put it beside the viewer`);
        }
        throw new Error(`could not fetch ${url}: ${(error as Error).message}`);
      }
      if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status} ${response.statusText}`.trim());
      // Dev servers and single-page hosts answer an unknown path with their index page.
      if (/^text\/html\b/i.test(response.headers.get('content-type') ?? '')) {
        throw new Error(`the server returned an HTML page for ${url}, not a snapshot: the path is probably wrong (check the url= parameter)`);
      }
      try {
        return await readBody(response);
      } catch (error) {
        throw new Error(`could not fetch ${url}: ${(error as Error).message}`);
      }
    },
  };
}

function pageOrigin(base: string): string | undefined {
  try {
    return new URL(base).origin;
  } catch {
    return undefined;
  }
}

export class UrlSource implements DataSource {
  readonly kind = 'url';

  constructor(
    readonly urls: readonly string[],
    readonly base: string,
  ) {}

  connect(sink: DataSink): void {
    for (const url of this.urls) sink.snapshot(urlInput(url, this.base));
  }

  disconnect(): void {}
}

/**
 * The body as one Uint8Array. With a Content-Length (and no content encoding,
 * which would make it the compressed length), the chunks are copied into one
 * buffer of that size as they arrive, instead of being gathered by
 * arrayBuffer() and copied at the end.
 */
async function readBody(response: Response): Promise<Uint8Array> {
  const length = Number(response.headers.get('content-length'));
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  if (response.body === null || !(length > 0) || encoded || !Number.isSafeInteger(length)) return new Uint8Array(await response.arrayBuffer());
  const out = new Uint8Array(length);
  const reader = response.body.getReader();
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > length) {
      // More than announced: fall back to growing (the loader reports what is wrong with the bytes).
      const parts = [out.subarray(0, at), value];
      for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let k = 0;
      for (const p of parts) {
        all.set(p, k);
        k += p.length;
      }
      return all;
    }
    out.set(value, at);
    at += value.length;
  }
  return at === length ? out : out.subarray(0, at);
}

