import { describe, expect, it } from 'vitest';
import { Frame } from './frame.js';
import { Trace } from './trace.js';
import { Traceback } from './traceback.js';

describe('Trace', () => {
  it('prints the allocation site and the size', () => {
    const trace = new Trace(0, 100, new Traceback([new Frame('main.c', 30), new Frame('leak.c', 14)], 2));
    expect(String(trace)).toBe('leak.c:14: 100 B');
    expect(trace.domain).toBe(0);
    expect(trace.size).toBe(100);
    expect(String(new Trace(1, 576 * 1024, new Traceback([new Frame('m.wasm', 0, 'make_nodes', 0x1a2)])))).toBe('m.wasm:make_nodes+0x1a2: 576 KiB');
    expect(String(new Trace(0, 7, new Traceback([])))).toBe('<unknown>:0: 7 B');
  });
});
