/**
 * Live memory by traceback as a tree, laid out for a flame graph / icicle.
 *
 *   tracebacks (oldest → most recent)          tree (node = call path, width = bytes)
 *   _start → main → leak_nodes   100 KB         all 124 KB
 *   _start → main → churn         24 KB   ──▶    └ _start 124 KB
 *                                                  └ main 124 KB
 *                                                      ├ leak_nodes 100 KB
 *                                                      └ churn 24 KB
 *
 * Nodes are emitted in preorder, heaviest child first, as columns: `start` is the
 * node's left edge in bytes from the root's left edge and `end` the index after its
 * subtree, so a renderer draws any zoomed window by skipping whole subtrees that
 * are off screen or too thin, without recomputing anything. A node's own blocks
 * (allocated at that frame) are the gap to the right of its children.
 *
 * When comparing, each path has bytes in both snapshots: the width is one of them
 * (`measure`), `other` is the other one, and the colour shows the difference.
 */

import type { FrameView } from './frame-view.js';

/**
 * What a box's width is when comparing: the snapshot's bytes, the base's, or the
 * larger of the two per call path ('max', the default), so that memory freed
 * since the base keeps its width instead of vanishing.
 */
export type FlameMeasure = 'after' | 'before' | 'max';

/** One traceback's weight; `frames` are frame ids (indices into the model's frames), oldest first. */
export interface WeightedPath {
  frames: readonly number[];
  after: number;
  afterCount: number;
  before: number;
  beforeCount: number;
}

export interface FlameModel {
  /** Unique frames; a node's `frame` indexes this (-1 for the root). */
  frames: FrameView[];
  frame: Int32Array;
  depth: Uint16Array;
  start: Float64Array;
  /** Width: bytes under this path in the measured snapshot. */
  value: Float64Array;
  /** Blocks under this path in the measured snapshot. */
  count: Float64Array;
  /** Bytes under this path in the other snapshot (the base when measuring 'max'); equals value when not comparing. */
  other: Float64Array;
  /** Bytes under this path in the snapshot and in the base (both equal to value when not comparing). */
  after: Float64Array;
  before: Float64Array;
  /**
   * When the tracebacks carry counters: per node, 4 values (allocCount, freeCount,
   * allocSize, freeSize: churn.ts CHURN_FIELDS) summed under its call path; their
   * increase since the base when comparing. Sites without live blocks add to
   * their callers' counters though they have no box.
   */
  churn?: Float64Array;
  end: Uint32Array;
  length: number;
  maxDepth: number;
  compare: boolean;
  measure: FlameMeasure;
  /** Bottom-up: paths start at the allocating frame and go out to its callers. */
  inverted: boolean;
  /**
   * Rooted at the focused frame (the selection's focus): the root's child is that
   * frame, beyond it its callees (top-down) or its callers (bottom-up).
   */
  rooted: boolean;
  /** A side is a sampled snapshot: bytes and blocks are estimates. */
  estimated: boolean;
  /** Weighted by what was live at the traced peak (TracebackData.peakSize), not now. */
  peak?: boolean;
  ms: number;
}

const MAX_DEPTH = 0xffff;

/**
 * Many weighted paths as columns: path i has frames
 * frames[start[i]] .. frames[start[i + 1] - 1], oldest first.
 */
export interface FlamePaths {
  start: Int32Array;
  frames: Int32Array;
  after: Float64Array;
  afterCount: Float64Array;
  before: Float64Array;
  beforeCount: Float64Array;
  /** Optional counters, 4 per path (FlameModel.churn's order). */
  churn?: Float64Array;
}

/** WeightedPath objects as FlamePaths columns. */
export function flamePaths(paths: readonly WeightedPath[]): FlamePaths {
  const n = paths.length;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + paths[i].frames.length;
  const frames = new Int32Array(start[n]);
  const out = { start, frames, after: new Float64Array(n), afterCount: new Float64Array(n), before: new Float64Array(n), beforeCount: new Float64Array(n) };
  paths.forEach((p, i) => {
    frames.set(p.frames, start[i]);
    out.after[i] = p.after;
    out.afterCount[i] = p.afterCount;
    out.before[i] = p.before;
    out.beforeCount[i] = p.beforeCount;
  });
  return out;
}

export function buildFlameTree(frames: FrameView[], input: readonly WeightedPath[] | FlamePaths, compare: boolean, measure: FlameMeasure): Omit<FlameModel, 'ms' | 'estimated' | 'inverted' | 'rooted' | 'peak'> {
  const paths = Array.isArray(input) ? flamePaths(input) : (input as FlamePaths);
  // The trie, built one depth at a time: the paths still going at depth d are
  // grouped by their node at depth d (a counting sort: the nodes of one depth
  // have consecutive indices), and within a group each frame's child is found
  // in a frame-indexed scratch array. Linear in the frames, with no lookup table
  // and no comparison sort (a hash table keyed by (parent, frame) and sorting
  // the paths both cost 200-400 ms for 100,000 paths, in cache misses and
  // comparator calls). Siblings get indices in the order of the first path
  // through them (input order), so index order breaks ties as "first seen".
  // A node is a child of a smaller index: weights are added where each path
  // ends, then summed up the tree in one reverse pass.
  const n = paths.start.length - 1;
  const pathStart = paths.start;
  const flat = paths.frames;
  let capacity = 1;
  let maxLength = 0;
  let frameLimit = 0;
  for (let i = 0; i < n; i++) {
    const m = Math.min(pathStart[i + 1] - pathStart[i], MAX_DEPTH);
    capacity += m;
    if (m > maxLength) maxLength = m;
  }
  for (let k = 0; k < flat.length; k++) if (flat[k] >= frameLimit) frameLimit = flat[k] + 1;
  // Working arrays come from a pool kept between calls: fresh memory costs a
  // page fault per 4 KiB, a large part of this function's time otherwise.
  const parent = scratchInt(0, capacity);
  const frameOf = scratchInt(1, capacity);
  parent[0] = -1;
  frameOf[0] = -1;
  let nodes = 1;
  const at = scratchInt(2, n, true); // each path's node at the current depth (the root first)
  const active = scratchInt(3, n); // paths longer than the current depth, grouped by `at`
  let activeCount = 0;
  for (let i = 0; i < n; i++) if (pathStart[i + 1] > pathStart[i]) active[activeCount++] = i;
  const grouped = scratchInt(4, n);
  const childOf = scratchInt(12, frameLimit); // frame -> child of the current parent...
  const childParent = scratchInt(13, frameLimit).fill(-1); // ...valid when this is that parent
  let depthStart = 0; // the nodes of the current depth are [depthStart, depthEnd)
  let depthEnd = 1;
  for (let d = 0; d < maxLength && activeCount > 0; d++) {
    // Counting sort of the active paths by their node (stable: input order within a node).
    const width = depthEnd - depthStart;
    const bucket = scratchInt(5, width + 1, true);
    for (let k = 0; k < activeCount; k++) bucket[at[active[k]] - depthStart + 1]++;
    for (let b = 0; b < width; b++) bucket[b + 1] += bucket[b];
    for (let k = 0; k < activeCount; k++) {
      const i = active[k];
      grouped[bucket[at[i] - depthStart]++] = i;
    }
    const nextStart = nodes;
    let nextCount = 0;
    for (let k = 0; k < activeCount; k++) {
      const i = grouped[k];
      const node = at[i];
      const f = flat[pathStart[i] + d];
      let child = childOf[f];
      if (childParent[f] !== node) {
        child = nodes++;
        parent[child] = node;
        frameOf[child] = f;
        childOf[f] = child;
        childParent[f] = node;
      }
      at[i] = child;
      // Read from `grouped`, written to `active`: overwriting is safe.
      if (pathStart[i + 1] - pathStart[i] > d + 1 && d + 1 < MAX_DEPTH) active[nextCount++] = i;
    }
    activeCount = nextCount;
    depthStart = nextStart;
    depthEnd = nodes;
  }
  // Weights per node, sized by the nodes made (a third of `capacity` or less).
  const after = scratchFloat(0, nodes);
  const afterCount = scratchFloat(1, nodes);
  const before = scratchFloat(2, nodes);
  const beforeCount = scratchFloat(3, nodes);
  for (let i = 0; i < n; i++) {
    const node = at[i];
    after[node] += paths.after[i];
    afterCount[node] += paths.afterCount[i];
    before[node] += paths.before[i];
    beforeCount[node] += paths.beforeCount[i];
  }
  for (let node = nodes - 1; node > 0; node--) {
    const p = parent[node];
    after[p] += after[node];
    afterCount[p] += afterCount[node];
    before[p] += before[node];
    beforeCount[p] += beforeCount[node];
  }
  let churn: Float64Array | undefined;
  if (paths.churn !== undefined) {
    churn = new Float64Array(4 * nodes);
    for (let i = 0; i < n; i++) for (let k = 0; k < 4; k++) churn[4 * at[i] + k] += paths.churn[4 * i + k];
    for (let node = nodes - 1; node > 0; node--) for (let k = 0; k < 4; k++) churn[4 * parent[node] + k] += churn[4 * node + k];
  }

  let value: Float64Array;
  let count: Float64Array;
  let other: Float64Array;
  if (measure === 'max') {
    // Per call path the larger side, summed up the tree like the sides themselves.
    value = scratchFloat(5, nodes);
    count = scratchFloat(6, nodes);
    for (let i = 0; i < n; i++) {
      const node = at[i];
      const wider = paths.after[i] >= paths.before[i];
      value[node] += wider ? paths.after[i] : paths.before[i];
      count[node] += wider ? paths.afterCount[i] : paths.beforeCount[i];
    }
    for (let node = nodes - 1; node > 0; node--) {
      value[parent[node]] += value[node];
      count[parent[node]] += count[node];
    }
    other = before;
  } else [value, count, other] = measure === 'after' ? [after, afterCount, before] : [before, beforeCount, after];
  // Children of the nodes that have width, as one array in segments (CSR),
  // heaviest first (ties: first seen in the input). A child always has a larger
  // index than its parent, so one reverse pass sums subtree sizes.
  const childCount = scratchInt(6, nodes + 1, true);
  for (let n = 1; n < nodes; n++) if (value[n] > 0) childCount[parent[n]]++;
  const first = scratchInt(7, nodes + 1, true);
  for (let n = 0; n < nodes; n++) first[n + 1] = first[n] + childCount[n];
  const children = scratchInt(8, first[nodes]);
  const fill = first.slice(0, nodes);
  for (let n = 1; n < nodes; n++) if (value[n] > 0) children[fill[parent[n]]++] = n;
  const byWeight = (a: number, b: number) => value[b] - value[a] || a - b;
  for (let n = 0; n < nodes; n++) if (childCount[n] > 1) children.subarray(first[n], first[n + 1]).sort(byWeight);
  // Nodes without width vanish with their subtrees; size the output to what is reachable.
  const subtree = scratchInt(9, nodes).fill(1);
  for (let n = nodes - 1; n > 0; n--) if (value[n] > 0) subtree[parent[n]] += subtree[n];
  const total = subtree[0];
  const out = {
    frame: new Int32Array(total),
    depth: new Uint16Array(total),
    start: new Float64Array(total),
    value: new Float64Array(total),
    count: new Float64Array(total),
    other: new Float64Array(total),
    after: new Float64Array(total),
    before: new Float64Array(total),
    end: new Uint32Array(total),
  };
  const churnOut = churn === undefined ? undefined : new Float64Array(4 * total);
  // Iterative preorder. A node's output index i is known when it is popped; its
  // subtree ends at i + subtree size; its children start left to right from its start.
  const stackNode = scratchInt(10, total);
  const stackDepth = scratchInt(11, total, true);
  const stackStart = scratchFloat(4, total);
  let top = 0;
  stackNode[0] = 0;
  let length = 0;
  let maxDepth = 0;
  while (top >= 0) {
    const node = stackNode[top];
    const depth = stackDepth[top];
    const start = stackStart[top];
    top--;
    const i = length++;
    out.frame[i] = frameOf[node];
    out.depth[i] = depth;
    out.start[i] = start;
    out.value[i] = value[node];
    out.count[i] = count[node];
    out.other[i] = other[node];
    out.after[i] = after[node];
    out.before[i] = before[node];
    out.end[i] = i + subtree[node];
    if (churnOut !== undefined) for (let k = 0; k < 4; k++) churnOut[4 * i + k] = churn![4 * node + k];
    if (depth > maxDepth) maxDepth = depth;
    // Push in reverse so the heaviest child is popped (written) first.
    let x = start;
    for (let k = first[node]; k < first[node + 1]; k++) x += value[children[k]];
    for (let k = first[node + 1] - 1; k >= first[node]; k--) {
      const c = children[k];
      x -= value[c];
      top++;
      stackNode[top] = c;
      stackDepth[top] = depth + 1;
      stackStart[top] = x;
    }
  }

  return { frames, ...out, ...(churnOut !== undefined && { churn: churnOut }), length, maxDepth, compare, measure };
}

const intPool: Int32Array[] = [];
const floatPool: Float64Array[] = [];

/** Pooled Int32Array `slot` of `length` (zeroed when `zero`, else stale but fully overwritten by its user). */
function scratchInt(slot: number, length: number, zero = false): Int32Array {
  let a = intPool[slot];
  if (a === undefined || a.length < length) a = intPool[slot] = new Int32Array(Math.max(length, 1024));
  const view = a.subarray(0, length);
  if (zero) view.fill(0);
  return view;
}

/** Pooled Float64Array `slot` of `length`, zeroed. */
function scratchFloat(slot: number, length: number): Float64Array {
  let a = floatPool[slot];
  if (a === undefined || a.length < length) a = floatPool[slot] = new Float64Array(Math.max(length, 1024));
  return a.subarray(0, length).fill(0);
}

/** Index of the parent of node `i` (the nearest earlier node one level up), or -1 for the root. */
export function parentOf(model: Pick<FlameModel, 'depth'>, i: number): number {
  const d = model.depth[i];
  for (let j = i - 1; j >= 0; j--) if (model.depth[j] < d) return j;
  return -1;
}

/** Node indices from the root to `i`. */
export function pathTo(model: Pick<FlameModel, 'depth'>, i: number): number[] {
  const path: number[] = [];
  for (let n = i; n >= 0; n = parentOf(model, n)) path.push(n);
  return path.reverse();
}

/** The node at depth `depth` whose box holds byte position `x`, searching down from the root. */
export function nodeAt(model: Pick<FlameModel, 'depth' | 'start' | 'value' | 'end' | 'length'>, x: number, depth: number): number {
  if (model.length === 0) return -1;
  let node = 0;
  if (x < 0 || x >= model.start[0] + model.value[0]) return -1;
  while (model.depth[node] < depth) {
    // Children are the nodes after `node` inside its subtree, one subtree apart.
    let c = node + 1;
    let found = -1;
    while (c < model.end[node]) {
      if (x >= model.start[c] && x < model.start[c] + model.value[c]) {
        found = c;
        break;
      }
      c = model.end[c];
    }
    if (found < 0) return -1;
    node = found;
  }
  return node;
}

/**
 * Bytes in the nodes whose frame matches, counting each block once: a match's
 * subtree is not searched further.
 */
export function matchedBytes(model: Pick<FlameModel, 'frame' | 'value' | 'end' | 'length'>, matches: (frame: number) => boolean): number {
  let sum = 0;
  for (let i = 1; i < model.length; ) {
    if (matches(model.frame[i])) {
      sum += model.value[i];
      i = model.end[i];
    } else i++;
  }
  return sum;
}
