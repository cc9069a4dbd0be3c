import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { InstrumentError } from '@wasm-tracemalloc/instrument';
import { classify } from '../failure.js';
import { revived, transportable } from './worker-thread.js';

/** Through structured clone, as a reply crosses from the worker. */
const across = (e: unknown) => revived(structuredClone(transportable(e)));

describe('errors from the instrument worker', () => {
  it('an InstrumentError comes back as one, classified as it would be in this thread', () => {
    const e = across(new InstrumentError('a.wasm: not a WebAssembly module (bad magic number)', 'a.wasm', 0, 'input'));
    expect(e).toBeInstanceOf(InstrumentError);
    expect(e).toMatchObject({ source: 'a.wasm', offset: 0, kind: 'input' });
    expect(classify(e)).toEqual({ kind: 'bad-input', message: 'a.wasm: not a WebAssembly module (bad magic number) (at byte offset 0)' });
    expect(classify(across(new InstrumentError('a.wasm: memory64 is not supported', 'a.wasm', undefined, 'unsupported')))).toEqual({ kind: 'bad-input', message: 'a.wasm: memory64 is not supported' });
    expect(classify(across(new InstrumentError('a.wasm: internal error (x); please report it', 'a.wasm', undefined, 'internal'))).kind).toBe('internal');
  });

  it('a file error keeps its code and path', () => {
    let missing: unknown;
    try {
      readFileSync('/no/such/debug.wasm');
    } catch (e) {
      missing = e;
    }
    expect(classify(across(missing))).toEqual({ kind: 'bad-input', message: 'no such file: /no/such/debug.wasm' });
  });

  it('anything else is our defect, named by its class and message', () => {
    expect(classify(across(new RangeError('offset out of bounds')))).toEqual({
      kind: 'internal',
      message: 'internal error (RangeError: offset out of bounds); please report it, with the command and the input it was given',
    });
    // binaryen throws plain objects and strings.
    expect(classify(across({ message: 'error in parsing wasm binary' })).message).toBe('internal error (error in parsing wasm binary); please report it, with the command and the input it was given');
    expect(classify(across('abort(OOM)')).message).toBe('internal error (abort(OOM)); please report it, with the command and the input it was given');
  });
});
