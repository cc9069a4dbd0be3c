import { describe, expect, it } from 'vitest';
import { buildFlameTree, matchedBytes, nodeAt, pathTo } from './flame-tree.js';
import type { FrameView } from './frame-view.js';

const frames: FrameView[] = ['_start', 'main', 'leak', 'churn', 'helper'].map((f) => ({ text: `a.wasm:${f}+0x1`, filename: 'a.wasm', lineno: 0, function: f, offset: 1 }));
const [START, MAIN, LEAK, CHURN, HELPER] = [0, 1, 2, 3, 4];

describe('flame tree', () => {
  const paths = [
    { frames: [START, MAIN, CHURN], after: 24, afterCount: 2, before: 0, beforeCount: 0 },
    { frames: [START, MAIN, LEAK], after: 100, afterCount: 1, before: 40, beforeCount: 1 },
    { frames: [START, MAIN], after: 6, afterCount: 1, before: 6, beforeCount: 1 },
    { frames: [START, MAIN, LEAK, HELPER], after: 0, afterCount: 0, before: 70, beforeCount: 1 },
  ];

  it('lays out call paths in preorder, heaviest child first, self bytes to the right', () => {
    const t = buildFlameTree(frames, paths, true, 'after');
    const rows = Array.from({ length: t.length }, (_, i) => [t.frame[i], t.depth[i], t.start[i], t.value[i], t.other[i], t.end[i]]);
    expect(rows).toEqual([
      [-1, 0, 0, 130, 116, 5],
      [START, 1, 0, 130, 116, 5],
      [MAIN, 2, 0, 130, 116, 5],
      [LEAK, 3, 0, 100, 110, 4], // its helper child has no bytes now: not drawn
      [CHURN, 3, 100, 24, 0, 5],
    ]);
    expect(t.maxDepth).toBe(3);
  });

  it('measures the base instead: the freed helper path appears, churn does not', () => {
    const t = buildFlameTree(frames, paths, true, 'before');
    expect(Array.from(t.frame)).toEqual([-1, START, MAIN, LEAK, HELPER]);
    expect(Array.from(t.value)).toEqual([116, 116, 116, 110, 70]);
    expect(pathTo(t, 4)).toEqual([0, 1, 2, 3, 4]);
  });

  it('measures the larger side per call path: freed and new paths both keep their width, and each node knows both sides', () => {
    const t = buildFlameTree(frames, paths, true, 'max');
    // leak: 100 now (its own path) + 70 freed (helper's) = 170; churn 24 new; main's own 6.
    const rows = Array.from({ length: t.length }, (_, i) => [t.frame[i], t.value[i], t.after[i], t.before[i]]);
    expect(rows).toEqual([
      [-1, 200, 130, 116],
      [START, 200, 130, 116],
      [MAIN, 200, 130, 116],
      [LEAK, 170, 100, 110],
      [HELPER, 70, 0, 70],
      [CHURN, 24, 24, 0],
    ]);
  });

  it('finds the box under a byte position and sums matches once', () => {
    const t = buildFlameTree(frames, paths, false, 'after');
    expect(nodeAt(t, 50, 3)).toBe(3); // leak
    expect(nodeAt(t, 110, 3)).toBe(4); // churn
    expect(nodeAt(t, 127, 3)).toBe(-1); // main's own 6 bytes: no child there
    expect(nodeAt(t, 127, 2)).toBe(2);
    expect(matchedBytes(t, (f) => f === MAIN || f === LEAK)).toBe(130);
    expect(matchedBytes(t, (f) => f === LEAK || f === CHURN)).toBe(124);
  });
});
