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

export type FlameMeasure = 'after' | 'before';

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
  /** Bytes under this path in the other snapshot; equals value when not comparing. */
  other: Float64Array;
  end: Uint32Array;
  length: number;
  maxDepth: number;
  compare: boolean;
  measure: FlameMeasure;
  ms: number;
}

const MAX_DEPTH = 0xffff;

export function buildFlameTree(frames: FrameView[], paths: readonly WeightedPath[], compare: boolean, measure: FlameMeasure): Omit<FlameModel, 'ms'> {
  // The trie, built in insertion order into typed arrays sized for the worst case
  // (every frame of every path a new node). Children are found through an
  // open-addressing table keyed by (parent, frame): a Map with numeric keys this
  // large was 3x slower on 200,000 nodes.
  let capacity = 1;
  for (const p of paths) capacity += Math.min(p.frames.length, MAX_DEPTH);
  const parent = new Int32Array(capacity);
  const frameOf = new Int32Array(capacity);
  const after = new Float64Array(capacity);
  const afterCount = new Float64Array(capacity);
  const before = new Float64Array(capacity);
  const beforeCount = new Float64Array(capacity);
  parent[0] = -1;
  frameOf[0] = -1;
  let nodes = 1;
  let slots = 16;
  while (slots < capacity * 2) slots *= 2;
  const mask = slots - 1;
  const slotParent = new Int32Array(slots).fill(-1);
  const slotFrame = new Int32Array(slots);
  const slotChild = new Int32Array(slots);
  for (const p of paths) {
    let node = 0;
    after[0] += p.after;
    afterCount[0] += p.afterCount;
    before[0] += p.before;
    beforeCount[0] += p.beforeCount;
    const n = Math.min(p.frames.length, MAX_DEPTH);
    for (let i = 0; i < n; i++) {
      const f = p.frames[i];
      let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(f + 1, 0x85ebca77)) & mask;
      let next = -1;
      while (slotParent[h] !== -1) {
        if (slotParent[h] === node && slotFrame[h] === f) {
          next = slotChild[h];
          break;
        }
        h = (h + 1) & mask;
      }
      if (next < 0) {
        next = nodes++;
        parent[next] = node;
        frameOf[next] = f;
        slotParent[h] = node;
        slotFrame[h] = f;
        slotChild[h] = next;
      }
      node = next;
      after[node] += p.after;
      afterCount[node] += p.afterCount;
      before[node] += p.before;
      beforeCount[node] += p.beforeCount;
    }
  }

  const [value, count, other] = measure === 'after' ? [after, afterCount, before] : [before, beforeCount, after];
  // Children of the nodes that have width, as one array in segments (CSR),
  // heaviest first (ties: first seen). A child always has a larger index than
  // its parent, so one reverse pass sums subtree sizes.
  const childCount = new Int32Array(nodes + 1);
  for (let n = 1; n < nodes; n++) if (value[n] > 0) childCount[parent[n]]++;
  const first = new Int32Array(nodes + 1);
  for (let n = 0; n < nodes; n++) first[n + 1] = first[n] + childCount[n];
  const children = new Int32Array(first[nodes]);
  const fill = first.slice(0, nodes);
  for (let n = 1; n < nodes; n++) if (value[n] > 0) children[fill[parent[n]]++] = n;
  const byWeight = (a: number, b: number) => value[b] - value[a] || a - b;
  for (let n = 0; n < nodes; n++) if (childCount[n] > 1) children.subarray(first[n], first[n + 1]).sort(byWeight);
  // Nodes without width vanish with their subtrees; size the output to what is reachable.
  const subtree = new Int32Array(nodes).fill(1);
  for (let n = nodes - 1; n > 0; n--) if (value[n] > 0) subtree[parent[n]] += subtree[n];
  const total = subtree[0];
  const out = {
    frame: new Int32Array(total),
    depth: new Uint16Array(total),
    start: new Float64Array(total),
    value: new Float64Array(total),
    count: new Float64Array(total),
    other: new Float64Array(total),
    end: new Uint32Array(total),
  };
  // Iterative preorder. A node's output index i is known when it is popped; its
  // subtree ends at i + subtree size; its children start left to right from its start.
  const stackNode = new Int32Array(total);
  const stackDepth = new Int32Array(total);
  const stackStart = new Float64Array(total);
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
    out.end[i] = i + subtree[node];
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

  return { frames, ...out, length, maxDepth, compare, measure };
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
