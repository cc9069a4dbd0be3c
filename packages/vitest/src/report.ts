// The text of a failed limit: what was measured against what was allowed, then the
// top allocation sites as tracemalloc's "display top" recipe prints them, each with
// its traceback (oldest frame first) and source lines.
//
// The CLI prints the same shape (packages/cli/src/report.ts, formatTop with key
// 'traceback'), but does not export it; until it moves into the runtime's model this
// file prints from the model's own Statistic and Traceback.format.

import { formatSize, type Snapshot } from '@wasm-tracemalloc/runtime';

/** The top `top` tracebacks of `snapshot`, largest first, and a line for the rest. */
export function formatTopTracebacks(snapshot: Snapshot, top: number): string[] {
  // What is live: tracebacks whose blocks were all freed (counters only) are left out.
  const stats = snapshot.statistics('traceback').filter((s) => s.count > 0);
  const lines = [`Top ${Math.min(top, stats.length)} tracebacks`];
  stats.slice(0, top).forEach((stat, i) => lines.push(`#${i + 1}: ${stat}`, ...stat.traceback.format()));
  const rest = stats.slice(top);
  if (rest.length > 0) {
    const size = rest.reduce((n, s) => n + s.size, 0);
    const count = rest.reduce((n, s) => n + s.count, 0);
    lines.push(`${rest.length} other: size=${formatSize(size)}, count=${count}`);
  }
  return lines;
}

/** "1 KB (1024 B)" for a limit written as "1 KB"; "4096 B" for one given in bytes. */
export function formatLimit(limit: string | number, bytes: number): string {
  return typeof limit === 'string' ? `${limit.trim()} (${bytes} B)` : `${bytes} B`;
}

/** "97.7 KiB (100000 B)": tracemalloc's size, and the exact bytes when it rounds them. */
export function formatBytes(bytes: number): string {
  const size = formatSize(bytes);
  return size === `${bytes} B` ? size : `${size} (${bytes} B)`;
}
