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
      try {
        response = await fetch(new URL(url, base));
      } catch (error) {
        throw new Error(`could not fetch ${url}: ${(error as Error).message}`);
      }
      if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status} ${response.statusText}`.trim());
      return new Uint8Array(await response.arrayBuffer());
    },
  };
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
