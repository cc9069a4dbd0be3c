/**
 * Where snapshots come from. Each way in (a file picker, drag and drop, a `?url=`
 * parameter, later a live connection to a running page through the Vite plugin) is
 * a DataSource that hands SnapshotInputs to the app. Reading is deferred to `read()`
 * so the app decides when (and, after a cancelled load, whether again).
 */

import type { SnapshotData } from '@wasm-tracemalloc/runtime/model';

/** What the dev server says of a snapshot it holds (the plugin's SnapshotInfo, less where its bytes are). */
export interface LiveSnapshotRef {
  /** The server's number for it, in time order. */
  id: number;
  /** The tab (page or worker) it was taken in. */
  tab: string;
  /** The tab's label. Untrusted text. */
  name: string;
  timestamp: number;
  current: number;
  cause: number | 'app';
  samplingIntervalBytes?: number;
}

/** One snapshot file, not yet read. */
export interface SnapshotInput {
  /** What the user calls it: a file name or the last part of a URL. Untrusted text. */
  name: string;
  origin: 'file' | 'url' | 'live';
  /** For origin 'url': the URL as given, kept in the page's URL so a view can be shared. */
  url?: string;
  /** For an input the page's URL named: its place among the URL's `url=` (whose `snap=` and `base=` count in that order). */
  position?: number;
  /**
   * Set when the dev server holds it (origin 'live', or a URL of the dev server's):
   * what the server says of it. Its id is its number in every view ("#7").
   */
  live?: LiveSnapshotRef;
  /** The bytes of a `.wtmsnap` file (Snapshot.dump()). Rejects with a message naming the input. */
  read(): Promise<Uint8Array>;
  /** SnapshotData built in the page (App.openData: a converter, a test): loaded as it is, without `read()`. */
  data?: SnapshotData;
}

/** A point of memory over time, for the timeline. */
export interface MemorySample {
  /** Milliseconds since the epoch. */
  timestamp: number;
  current: number;
  peak: number;
}

/** What a DataSource reports to. */
export interface DataSink {
  snapshot(input: SnapshotInput): void;
  /** A problem that is not one file's, e.g. a lost connection. */
  error(message: string): void;
  /**
   * Memory samples streamed by a live source (the Vite plugin's tabs), drawn as one
   * more series (one per `series.id` when given: a live source's tabs; `replace`
   * drops what that series had, and no samples then removes it). Snapshots carry
   * their own samples (SnapshotData.samples).
   */
  samples?(samples: readonly MemorySample[], series?: { id: string; label: string; replace?: boolean }): void;
}

/**
 * A source of snapshots. File and URL sources deliver once; a live source (the
 * Vite plugin's connection to the traced page: it will take snapshots on request
 * and stream samples) keeps delivering until disconnected.
 */
export interface DataSource {
  readonly kind: 'file' | 'url' | 'live';
  connect(sink: DataSink): void;
  disconnect(): void;
}
