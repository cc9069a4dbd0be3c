// One instrument pass as data, so that it can run in this thread or in the instrument
// worker (worker-thread.ts) and answer the same.

import type { GlueFile, SymbolsMode } from '@wasm-tracemalloc/instrument';
import type { SiteTable } from '@wasm-tracemalloc/runtime';

export interface InstrumentRequest {
  bytes: Uint8Array;
  /** The module's name in warnings and frames. */
  source: string;
  /** The file the bytes were read from: sources, maps and debug files are found beside it. */
  path?: string;
  alloc?: string[];
  maxFrames?: number;
  symbols?: SymbolsMode;
  symbolsFrom?: Uint8Array | string;
  symbolsFromName?: string;
  glue: GlueFile[];
  sourceMap?: string;
}

export interface InstrumentAnswer {
  bytes: Uint8Array;
  /** allocatorSummary() of a traced module; null when the pass found nothing to trace. */
  summary: string | null;
  warnings: string[];
  /** With symbols 'side': the frames that travel beside the module. */
  siteTable?: SiteTable;
  /** Every file the pass read or looked for, for the cache's staleness check. */
  reads: string[];
}

/** Runs the pass; throws what instrument throws (an InstrumentError naming the module, or our defect). */
export type Instrumenter = (request: InstrumentRequest) => InstrumentAnswer;
