// The options `run` and `node` share, checked up front (before the program runs) and
// kept as plain JSON: `node` hands them to the preload in the child process.

import { resolve } from 'node:path';
import { intOption, keyOption, nframeOption, samplingOption, sizeOption, symbolsFromOption, symbolsOption, UsageError, type REPORT_OPTIONS, type Symbols } from './args.js';
import { checkOutput } from './input-files.js';
import type { Limits } from './exit-report.js';
import type { KeyType } from './report.js';

export interface RunOptions {
  nframe: number;
  samplingIntervalBytes: number;
  top: number;
  /** Unset: lineno for the text report, traceback for JSON. */
  key?: KeyType;
  cumulative: boolean;
  snapshot?: string;
  alloc: string[];
  symbols: Symbols;
  /** --glue: the JS that loads the program's modules, absolute paths. */
  glue?: string[];
  /** --symbols-from: an absolute path. */
  symbolsFrom?: string;
  limits: Limits;
  report: 'text' | 'json';
  reportFile?: string;
  /** False with --no-cache. */
  cache: boolean;
}

type ReportValues = { [K in keyof typeof REPORT_OPTIONS]?: (typeof REPORT_OPTIONS)[K] extends { multiple: true } ? string[] : (typeof REPORT_OPTIONS)[K] extends { type: 'boolean' } ? boolean : string };

export function runOptions(values: ReportValues): RunOptions {
  const report = values.report ?? 'text';
  if (report !== 'text' && report !== 'json') throw new UsageError(`--report must be text or json, got "${report}"`);
  checkOutput(values.snapshot, '--snapshot');
  checkOutput(values['report-file'], '--report-file');
  return {
    nframe: nframeOption(values.nframe),
    samplingIntervalBytes: samplingOption(values['sampling-interval-bytes']),
    top: intOption(values.top, 'top', 10),
    ...(values.key !== undefined && { key: keyOption(values.key) }),
    cumulative: !!values.cumulative,
    ...(values.snapshot !== undefined && { snapshot: values.snapshot }),
    alloc: values.alloc ?? [],
    symbols: symbolsOption(values.symbols),
    ...(values['symbols-from'] !== undefined && { symbolsFrom: symbolsFromOption(values['symbols-from']) }),
    ...(values.glue && { glue: values.glue.map((p) => resolve(p)) }),
    limits: {
      ...(values['limit-leaks'] !== undefined && { leaks: sizeOption(values['limit-leaks'], 'limit-leaks') }),
      ...(values['limit-memory'] !== undefined && { memory: sizeOption(values['limit-memory'], 'limit-memory') }),
    },
    report,
    ...(values['report-file'] !== undefined && { reportFile: values['report-file'] }),
    cache: !values['no-cache'],
  };
}
