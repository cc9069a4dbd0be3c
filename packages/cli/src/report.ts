// The report printed at exit and by `show`: tracemalloc's "display top" recipe,
// with the peak first, and what the tracer could not see at the end. A sampled
// snapshot's sizes and counts are estimates, and the report says so.

import { formatSize, type Snapshot, type Statistic, type StatisticDiff } from '@wasm-tracemalloc/runtime/model';

export type KeyType = 'lineno' | 'filename' | 'traceback';

export interface ReportOptions {
  key: KeyType;
  top: number;
  cumulative: boolean;
}

const HEADINGS: Record<KeyType, string> = { lineno: 'lines', filename: 'files', traceback: 'tracebacks' };

function statLines(rank: number, stat: Statistic | StatisticDiff, key: KeyType): string[] {
  if (key !== 'traceback') return [`#${rank}: ${stat.toString()}`];
  const s = stat.toString();
  const head = s.slice(s.indexOf(': ') + 2);
  return [`#${rank}: ${head}`, ...stat.traceback.format()];
}

export function formatTop(snapshot: Snapshot, opts: ReportOptions): string[] {
  // What is live: groups whose blocks were all freed (counters only) are for diffs.
  const stats = snapshot.statistics(opts.key, opts.cumulative).filter((s) => s.count > 0);
  const lines = [`Top ${Math.min(opts.top, stats.length)} ${HEADINGS[opts.key]}`];
  stats.slice(0, opts.top).forEach((s, i) => lines.push(...statLines(i + 1, s, opts.key)));
  const rest = stats.slice(opts.top);
  if (rest.length) {
    const size = rest.reduce((n, s) => n + s.size, 0);
    const count = rest.reduce((n, s) => n + s.count, 0);
    lines.push(`${rest.length} other: size=${formatSize(size)}, count=${count}`);
  }
  const total = stats.reduce((n, s) => n + s.size, 0);
  const count = opts.cumulative ? snapshot.total().count : stats.reduce((n, s) => n + s.count, 0);
  lines.push(`Total allocated size${estimated(snapshot)}: ${formatSize(total)} in ${blocks(count)}`);
  return lines;
}

/** A thread's name in reports: the main thread, or a worker by its number (Node: its threadId). */
export function threadName(thread: number): string {
  return thread === 0 ? 'main thread' : `thread ${thread}`;
}

/**
 * What each thread allocated and still holds, with its top lines, when more than one
 * thread allocated (a program on threads); nothing otherwise.
 */
export function formatThreads(snapshot: Snapshot, opts: ReportOptions): string[] {
  const threads = snapshot.threads();
  if (threads.length < 2) return [];
  const lines = [`By thread (${threads.length} threads)`];
  for (const t of threads) {
    lines.push(`${threadName(t.thread)}: size=${formatSize(t.size)}, count=${t.count}`);
    const stats = snapshot.filterThread(t.thread).statistics(opts.key === 'traceback' ? 'lineno' : opts.key, opts.cumulative).filter((s) => s.count > 0);
    for (const s of stats.slice(0, Math.min(opts.top, 3))) lines.push(`    ${s.toString()}`);
  }
  return lines;
}

/** "1 block", "0 blocks", "1000 blocks". */
export function blocks(count: number): string {
  return `${count} ${count === 1 ? 'block' : 'blocks'}`;
}

function estimated(snapshot: Snapshot): string {
  return snapshot.samplingIntervalBytes > 0 ? ' (estimated)' : '';
}

export function formatDiff(snapshot: Snapshot, old: Snapshot, opts: ReportOptions): string[] {
  // compareTable: compareTo's rows and, with counters, the sites that only churned in between.
  const all = snapshot.compareTable(old, opts.key, opts.cumulative).toArray() as StatisticDiff[];
  const counted = countersComparable(snapshot, old, all);
  // Without comparable counters, a group of counters only (nothing live in either snapshot) says nothing.
  const diffs = counted ? all : all.filter((d) => d.size > 0 || d.count > 0 || d.sizeDiff !== 0 || d.countDiff !== 0);
  const lines = [`Top ${Math.min(opts.top, diffs.length)} differences`];
  diffs.slice(0, opts.top).forEach((d, i) => {
    const row = statLines(i + 1, d, opts.key);
    if (counted) row[0] += churn(d);
    lines.push(...row);
  });
  const net = diffs.reduce((n, d) => n + d.sizeDiff, 0);
  lines.push(`Net change${estimated(snapshot) || estimated(old)}: ${formatSize(net, true)}`);
  return lines;
}

/**
 * `, +1,000 allocs (+62.5 KiB), +1,000 frees (+62.5 KiB)`: what was allocated and
 * freed between the snapshots (a net Δ of 0 can hide that churn), when both have
 * counters; else nothing.
 */
function churn(d: StatisticDiff): string {
  if (d.allocCountDiff === undefined) return '';
  return `, ${signedCount(d.allocCountDiff)} allocs (${formatSize(d.allocSizeDiff ?? 0, true)}), ${signedCount(d.freeCountDiff ?? 0)} frees (${formatSize(d.freeSizeDiff ?? 0, true)})`;
}

/**
 * Whether the counters of the two snapshots can be subtracted: both have them,
 * from the same tracing session (their sample series began together), and none
 * went down (clearTraces() restarts them).
 */
function countersComparable(snapshot: Snapshot, old: Snapshot, diffs: readonly StatisticDiff[]): boolean {
  if (!snapshot.hasCounters || !old.hasCounters) return false;
  const a = snapshot.samples?.start;
  const b = old.samples?.start;
  if (a !== undefined && b !== undefined && a !== b) return false;
  return diffs.every((d) => (d.allocCountDiff ?? 0) >= 0 && (d.freeCountDiff ?? 0) >= 0);
}

/** "+1,000", "-3", "+0". */
export function signedCount(n: number): string {
  return `${n < 0 ? '-' : '+'}${Math.abs(n).toLocaleString('en-US')}`;
}

/**
 * The composition of the traced peak (show --peak): the live bytes and blocks of
 * each key when the peak was reached, largest first.
 */
export function formatPeak(snapshot: Snapshot, opts: ReportOptions): string[] {
  if (!snapshot.hasCounters) return ['The peak composition is not in this snapshot: it was taken before wasm-tracemalloc recorded it (format version 4).'];
  const stats = snapshot.peakStatistics(opts.key, opts.cumulative);
  const peak = snapshot.meta.peak;
  const lines = [`Top ${Math.min(opts.top, stats.length)} ${HEADINGS[opts.key]} at the peak${typeof peak === 'number' ? ` (${formatSize(peak)})` : ''}`];
  stats.slice(0, opts.top).forEach((s, i) => lines.push(...statLines(i + 1, s, opts.key)));
  const rest = stats.slice(opts.top);
  if (rest.length) lines.push(`${rest.length} other: size=${formatSize(rest.reduce((n, s) => n + s.size, 0))}, count=${rest.reduce((n, s) => n + s.count, 0)}`);
  return lines;
}

/** Summary lines from the snapshot's counters: peak, current, and what was not exact. */
/** Untraced frees from which the report suspects the allocator was misidentified. */
export const MISIDENTIFIED_FREES = 16;

export function formatSummary(snapshot: Snapshot, label: string): string[] {
  const m = snapshot.meta ?? {};
  const lines: string[] = [];
  const current = typeof m.current === 'number' ? m.current : snapshot.statistics('filename').reduce((n, s) => n + s.size, 0);
  const peak = typeof m.peak === 'number' ? `peak ${formatSize(m.peak)}, ` : '';
  lines.push(`${label}: ${peak}current ${formatSize(current)} in ${blocks(snapshot.total().count)}` + (typeof m.tracerBytes === 'number' ? ` (tracer memory ${formatSize(m.tracerBytes)})` : ''));
  const interval = snapshot.samplingIntervalBytes;
  if (interval > 0) {
    lines.push(
      `note: sampled, one trace per ${formatSize(interval)} allocated on average: sizes and counts are estimates from ${snapshot.length} traces, ` +
        `and double or untraced frees are not detected`,
    );
  }
  if (m.lockTakenOver === 1) lines.push('warning: a thread ended while it held the tracer\'s lock (a worker terminated inside an allocation); the numbers may be off by its last allocation or free');
  if (m.lockTakenOver === 2) lines.push('warning: a thread ended while the tracer was changing its table (a worker terminated inside an allocation); the traces from before that moment were dropped, and these numbers count from then on');
  if (m.lostTraces) lines.push(`warning: ${m.lostTraces} allocations could not be traced because the tracer ran out of memory; numbers are low by those blocks`);
  if (m.doubleFrees) lines.push(`warning: ${m.doubleFrees} double frees`);
  if (m.untracedFrees) lines.push(`note: ${m.untracedFrees} frees of blocks that were not traced (allocated before tracing started, or invalid pointers)`);
  // A handful comes from blocks allocated before start(); many mean an allocator the
  // finders missed or misread (a realloc not traced, a free taken for another function).
  if ((m.untracedFrees ?? 0) >= MISIDENTIFIED_FREES) {
    lines.push(`warning: that many untraced frees suggests an allocator was missed or misidentified: check each module's "malloc = … (how it was found)" line, and name the right functions with --alloc [MODULE.wasm:]NAME=KIND`);
  }
  return lines;
}
