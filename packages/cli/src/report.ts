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
  const stats = snapshot.statistics(opts.key, opts.cumulative);
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
    const stats = snapshot.filterThread(t.thread).statistics(opts.key === 'traceback' ? 'lineno' : opts.key, opts.cumulative);
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
  const diffs = snapshot.compareTo(old, opts.key, opts.cumulative);
  const lines = [`Top ${Math.min(opts.top, diffs.length)} differences`];
  diffs.slice(0, opts.top).forEach((d, i) => lines.push(...statLines(i + 1, d, opts.key)));
  const net = diffs.reduce((n, d) => n + d.sizeDiff, 0);
  lines.push(`Net change${estimated(snapshot) || estimated(old)}: ${formatSize(net, true)}`);
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
