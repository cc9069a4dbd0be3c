import { describe, expect, it } from 'vitest';
import { InstrumentError } from '@wasm-tracemalloc/instrument';
import { InvalidSnapshotError } from '@wasm-tracemalloc/runtime/model';
import { UsageError } from './args.js';
import { classify, exitCodeOf } from './failure.js';

describe('classify', () => {
  it('takes usage errors, refused inputs and bad snapshots as bad input (exit 2)', () => {
    expect(classify(new UsageError('--top needs a value'))).toEqual({ kind: 'bad-input', message: '--top needs a value' });
    const refused = classify(new InstrumentError('a.wasm: not a valid WebAssembly module: bad section size', 'a.wasm', 77));
    expect(refused).toEqual({ kind: 'bad-input', message: 'a.wasm: not a valid WebAssembly module: bad section size (at byte offset 77)' });
    expect(exitCodeOf(refused)).toBe(2);
    expect(classify(new InvalidSnapshotError('b.wtmsnap', 'header CRC mismatch'))).toEqual({ kind: 'bad-input', message: 'b.wtmsnap: header CRC mismatch' });
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x.map'"), { code: 'ENOENT', path: 'x.map' });
    expect(classify(enoent)).toEqual({ kind: 'bad-input', message: 'no such file: x.map' });
  });

  it("takes an InstrumentError of kind 'internal' and anything unexpected as ours (exit 70), in one line", () => {
    const internal = Object.assign(new InstrumentError('a.wasm: internal error: rewrite failed; please report it with the input module', 'a.wasm'), { kind: 'internal' });
    expect(classify(internal)).toEqual({ kind: 'internal', message: 'a.wasm: internal error: rewrite failed; please report it with the input module' });
    const thrown = classify({ message: 'error in parsing wasm binary\n  at 0x1234' }); // what binaryen.js throws
    expect(thrown).toEqual({ kind: 'internal', message: 'internal error (error in parsing wasm binary at 0x1234); please report it, with the command and the input it was given' });
    expect(exitCodeOf(thrown)).toBe(70);
    expect(classify(new TypeError('x is undefined')).message).toBe('internal error (TypeError: x is undefined); please report it, with the command and the input it was given');
  });
});
