// The instrument pass in the calling thread: for the library API (whose callers load
// the instrument package anyway) and inside the instrument worker.

import { allocatorSummary, instrument } from '@wasm-tracemalloc/instrument';
import { nodeFiles } from '../node-files.js';
import type { InstrumentAnswer, InstrumentRequest } from './request.js';

export function instrumentInProcess(request: InstrumentRequest): InstrumentAnswer {
  const reads: string[] = [];
  // Modules whose file is unknown (bytes from elsewhere): relative URLs resolve against the working directory.
  const files = nodeFiles(request.path, (p) => reads.push(p));
  const { bytes, source, glue, alloc, maxFrames, symbols, symbolsFrom, symbolsFromName, sourceMap } = request;
  const result = instrument(bytes, { source, alloc, glue, maxFrames, symbols, symbolsFrom, symbolsFromName, sourceMap, ...files });
  return {
    bytes: result.bytes,
    summary: result.status === 'instrumented' ? allocatorSummary(source, result.allocators) : null,
    warnings: result.warnings,
    ...(symbols === 'side' && result.siteTable && { siteTable: result.siteTable }),
    reads,
  };
}
