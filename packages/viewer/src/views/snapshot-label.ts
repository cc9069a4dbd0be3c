/**
 * What a snapshot is called, in the pickers, on the timeline, in the Comparing chip
 * and the leak note, and on the Vite plugin's live page: one label, "#7 · my app ·
 * 20:40:49 · 80.9 KiB" (number, name, time, size).
 *
 * The number: a snapshot the dev server holds has the server's id (given in time
 * order, for the server's lifetime), so the live page, a link from it and this page
 * agree. Others (opened from files or other URLs) are numbered in time order among
 * themselves; beside the server's they read "#L1", "#L2", so no number means two
 * snapshots.
 */

import type { LiveSnapshotRef } from '../import/data-source.js';
import { formatSize, formatTime } from './format.js';

/** What a label is made of, for one snapshot. */
export interface SnapshotFacts {
  /** What the dev server says of it, when it holds it: then its number, name, time and size are those. */
  live?: LiveSnapshotRef;
  /** Its file name, or its URL's last part. */
  name: string;
  /** meta.timestamp. */
  timestamp?: number;
  /** Traced bytes (an estimate when sampled). */
  size: number;
  samplingIntervalBytes: number;
}

export interface SnapshotLabel {
  /** "#7", "#2", or "#L1": the same snapshot has the same one everywhere. */
  ref: string;
  /** "my app · takeSnapshot()", "after.wtmsnap". */
  name: string;
  /** "20:40:49", or '' when it has no time. */
  time: string;
  /** "80.9 KiB", or "≈80.9 KiB (sampled)". */
  size: string;
  /** The whole label. */
  text: string;
}

/** Labels for snapshots listed in time order. */
export function snapshotLabels(list: readonly SnapshotFacts[]): SnapshotLabel[] {
  const mixed = list.some((x) => x.live !== undefined);
  let local = 0;
  return list.map((x) => {
    const live = x.live;
    const ref = live !== undefined ? `#${live.id}` : `#${mixed ? 'L' : ''}${++local}`;
    const name = live === undefined ? x.name : live.cause === 'app' ? `${live.name} · takeSnapshot()` : live.name;
    const time = formatTime(live?.timestamp ?? x.timestamp);
    const sampled = (live !== undefined ? (live.samplingIntervalBytes ?? 0) : x.samplingIntervalBytes) > 0;
    const bytes = formatSize(live?.current ?? x.size);
    const size = sampled ? `≈${bytes} (sampled)` : bytes;
    return { ref, name, time, size, text: [ref, name, ...(time ? [time] : []), size].join(' · ') };
  });
}
