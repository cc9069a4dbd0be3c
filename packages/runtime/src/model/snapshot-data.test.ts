import { describe, expect, it } from 'vitest';
import { SnapshotBuilder } from './snapshot-builder.js';
import { InvalidSnapshotError, describeValue, findSnapshotDataProblem, validateSnapshotData, type SnapshotData } from './snapshot-data.js';

const valid = (): SnapshotData => new SnapshotBuilder(2).add(0, 100, [{ filename: 'leak.c', lineno: 14 }]).add(1, 8, []).build();

describe('findSnapshotDataProblem', () => {
  it('finds nothing wrong with valid data, however minimal', () => {
    expect(findSnapshotDataProblem(valid())).toBeUndefined();
    expect(findSnapshotDataProblem(new SnapshotBuilder().build())).toBeUndefined();
  });

  it('accepts a frame with its source line, and only a string as one', () => {
    const d = new SnapshotBuilder(1).add(0, 100, [{ filename: 'leak.c', lineno: 61, function: 'leak_nodes', source: 'char *p = malloc(NODE_SIZE);' }]).build();
    expect(findSnapshotDataProblem(d)).toBeUndefined();
    (d.frames[0] as { source?: unknown }).source = 61;
    expect(findSnapshotDataProblem(d)).toBe('frames[0].source must be a string, got 61');
  });

  it('names the first broken invariant', () => {
    const d = valid();
    d.traces.traceback[0] = 2;
    expect(findSnapshotDataProblem(d)).toBe('trace 0 refers to traceback 2, but there are 2 tracebacks');
    expect(findSnapshotDataProblem(null as unknown as SnapshotData)).toBe('expected an object, got null');
    expect(findSnapshotDataProblem({ ...valid(), frames: {} } as unknown as SnapshotData)).toBe('frames must be an array, got Object');
  });

  it('skips frames and tracebacks with tracesOnly, never the traces', () => {
    const d = valid();
    d.tracebacks[0].frames[0] = 99;
    expect(findSnapshotDataProblem(d)).toMatch(/frames\[0\] is 99/);
    expect(findSnapshotDataProblem(d, { tracesOnly: true })).toBeUndefined();
    d.traces.size[1] = -8;
    expect(findSnapshotDataProblem(d, { tracesOnly: true })).toBe('trace 1 has size -8; sizes are non-negative integers (bytes)');
  });
});

describe('validateSnapshotData', () => {
  it('throws InvalidSnapshotError with source "SnapshotData"', () => {
    const d = valid();
    d.tracebackLimit = 1.5;
    expect(() => validateSnapshotData(d)).toThrow(InvalidSnapshotError);
    try {
      validateSnapshotData(d);
    } catch (error) {
      expect((error as InvalidSnapshotError).source).toBe('SnapshotData');
      expect((error as Error).name).toBe('InvalidSnapshotError');
      expect((error as Error).message).toMatch(/^invalid SnapshotData: tracebackLimit must be a non-negative integer, got 1.5\. /);
    }
  });
});

describe('describeValue', () => {
  it('describes bad values briefly', () => {
    expect(describeValue('x'.repeat(100))).toBe(JSON.stringify(`${'x'.repeat(40)}…`));
    expect(describeValue([1, 2])).toBe('an array of 2');
    expect(describeValue(new Float32Array(2))).toBe('Float32Array');
    expect(describeValue(Object.create(null))).toBe('an object');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(true)).toBe('boolean true');
    expect(describeValue(Number.NaN)).toBe('NaN');
  });
});
