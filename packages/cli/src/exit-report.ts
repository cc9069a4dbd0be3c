// The report at the end of a traced run (`run` and `node`): tracemalloc's text on
// stderr, or one JSON document for CI (--report json), optionally to a file
// (--report-file); the snapshot file; and the verdict on --limit-leaks/--limit-memory.
//
// Exit status when a limit is exceeded: EXIT_LIMIT_EXCEEDED (23, LeakSanitizer's
// default), and only when the program itself exited 0. A program's own non-zero status
// is its own failure and passes through unchanged, so a CI script never mistakes a
// crash for a leak; the JSON report says `limitsExceeded` either way.

import { writeFileSync } from 'node:fs';
import { formatSize, type Snapshot, type Statistic } from '@wasm-tracemalloc/runtime/model';
import { formatSummary, formatThreads, formatTop, type KeyType } from './report.js';
import { terminalText } from './terminal/terminal-text.js';

export const EXIT_LIMIT_EXCEEDED = 23;

export interface Limits {
  /** --limit-leaks: bytes still allocated at exit. */
  leaks?: number;
  /** --limit-memory: the peak of bytes allocated at once. */
  memory?: number;
}

export interface ExitReportOptions {
  /** The first word of the summary line, e.g. `wasm-tracemalloc: leak.wasm`. */
  label: string;
  key?: KeyType;
  top: number;
  cumulative: boolean;
  format: 'text' | 'json';
  reportFile?: string;
  snapshotFile?: string;
  limits: Limits;
}

export interface LimitVerdict {
  limit: 'leaks' | 'memory';
  max: number;
  actual: number;
  exceeded: boolean;
}

function currentBytes(snapshot: Snapshot): number {
  const m = snapshot.meta ?? {};
  return typeof m.current === 'number' ? m.current : snapshot.total().size;
}

function peakBytes(snapshot: Snapshot): number {
  const m = snapshot.meta ?? {};
  return typeof m.peak === 'number' ? m.peak : currentBytes(snapshot);
}

export function judgeLimits(snapshot: Snapshot, limits: Limits): LimitVerdict[] {
  const verdicts: LimitVerdict[] = [];
  if (limits.leaks !== undefined) verdicts.push({ limit: 'leaks', max: limits.leaks, actual: currentBytes(snapshot), exceeded: currentBytes(snapshot) > limits.leaks });
  if (limits.memory !== undefined) verdicts.push({ limit: 'memory', max: limits.memory, actual: peakBytes(snapshot), exceeded: peakBytes(snapshot) > limits.memory });
  return verdicts;
}

function verdictLine(v: LimitVerdict): string {
  const what = v.limit === 'leaks' ? 'left allocated at exit' : 'allocated at the peak';
  return `wasm-tracemalloc: ${v.exceeded ? 'limit exceeded' : 'within limit'}: --limit-${v.limit} ${formatSize(v.max)}: ${formatSize(v.actual)} ${what}`;
}

/** The JSON report: totals, peak, the top sites with their tracebacks, and the limits. */
/** Whether the snapshot knows which thread allocated: the program ran on threads. */
function onThreads(snapshot: Snapshot): boolean {
  return snapshot.data.tracebacks.some((t) => t.thread !== undefined);
}

function siteJson(s: Statistic): object {
  return {
    size: s.size,
    count: s.count,
    // Since start(): blocks allocated at the site and their bytes, and how many of them were freed.
    ...(s.allocCount !== undefined && { allocCount: s.allocCount, allocSize: s.allocSize, freeCount: s.freeCount, freeSize: s.freeSize }),
    totalNframe: s.traceback.totalNframe,
    // Most recent call first: traceback[0] is where the block was allocated.
    traceback: [...s.traceback.frames].reverse().map((f) => ({
      filename: f.filename,
      lineno: f.lineno,
      ...(f.function !== undefined && { function: f.function }),
      ...(f.offset !== undefined && { offset: f.offset }),
      ...(f.source !== undefined && { source: f.source }),
    })),
  };
}

export function reportJson(snapshot: Snapshot, opts: Pick<ExitReportOptions, 'key' | 'top' | 'cumulative' | 'limits'>, exitCode: number | undefined): object {
  const key = opts.key ?? 'traceback';
  // What is live at exit: sites whose blocks were all freed (counters only) are left out.
  const stats = snapshot.statistics(key, opts.cumulative).filter((s) => s.count > 0);
  const verdicts = judgeLimits(snapshot, opts.limits);
  const m = snapshot.meta ?? {};
  return {
    format: 'wasm-tracemalloc-report',
    version: 1,
    ...(exitCode !== undefined && { exitCode }),
    peakBytes: peakBytes(snapshot),
    currentBytes: currentBytes(snapshot),
    blocks: snapshot.total().count,
    samplingIntervalBytes: snapshot.samplingIntervalBytes,
    estimated: snapshot.samplingIntervalBytes > 0,
    ...(typeof m.doubleFrees === 'number' && { doubleFrees: m.doubleFrees }),
    ...(typeof m.untracedFrees === 'number' && { untracedFrees: m.untracedFrees }),
    ...(typeof m.lostTraces === 'number' && { lostTraces: m.lostTraces }),
    // A worker died inside the tracer's lock: 1, numbers may be off by its last event; 2, traces before it were dropped.
    ...(typeof m.lockTakenOver === 'number' && { lockTakenOver: m.lockTakenOver }),
    key,
    sites: stats.slice(0, opts.top).map(siteJson),
    otherSites: Math.max(0, stats.length - opts.top),
    // A program on threads: what each thread allocated and still holds (thread 0 is the main thread).
    ...(onThreads(snapshot) && { threads: snapshot.threads().map((t) => ({
      thread: t.thread,
      size: t.size,
      count: t.count,
      sites: snapshot.filterThread(t.thread).statistics(key, opts.cumulative).filter((s) => s.count > 0).slice(0, opts.top).map(siteJson),
    })) }),
    limits: verdicts,
    limitsExceeded: verdicts.some((v) => v.exceeded),
  };
}

/**
 * Writes the report; returns the exit status the run should end with: the program's
 * own, or EXIT_LIMIT_EXCEEDED when it exited 0 and a limit is exceeded.
 */
export function writeExitReport(snapshot: Snapshot, opts: ExitReportOptions, programExit: number, err: (line: string) => void): number {
  const verdicts = judgeLimits(snapshot, opts.limits);
  const exceeded = verdicts.some((v) => v.exceeded);
  if (opts.snapshotFile) writeFileSync(opts.snapshotFile, snapshot.dump());
  if (opts.format === 'json') {
    const json = JSON.stringify(reportJson(snapshot, opts, programExit));
    if (opts.reportFile) writeFileSync(opts.reportFile, `${json}\n`);
    else process.stderr.write(`${json}\n`); // JSON escapes control characters itself
  } else {
    const report = { key: opts.key ?? 'lineno', top: opts.top, cumulative: opts.cumulative };
    const lines = [...formatSummary(snapshot, opts.label), ...formatTop(snapshot, report), ...formatThreads(snapshot, report), ...verdicts.map(verdictLine)];
    if (opts.reportFile) writeFileSync(opts.reportFile, lines.map((l) => `${terminalText(l)}\n`).join(''));
    else for (const line of lines) err(line);
  }
  if (opts.reportFile) err(`wasm-tracemalloc: report written to ${opts.reportFile}`);
  if (opts.snapshotFile) err(`snapshot written to ${opts.snapshotFile}`);
  if (exceeded && opts.reportFile) for (const v of verdicts.filter((v) => v.exceeded)) err(verdictLine(v));
  return exceeded && programExit === 0 ? EXIT_LIMIT_EXCEEDED : programExit;
}
