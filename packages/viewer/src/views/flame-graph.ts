/**
 * Live memory by call path, on a canvas: an icicle (callers on top) or a flame
 * graph (callers at the bottom). Width is bytes. Click a box to zoom to it, click
 * an ancestor (drawn above the zoomed box) to zoom out; search dims what does not
 * match. When comparing, red is growth and blue is shrinkage since the base.
 *
 * Drawing walks the preorder FlameModel and skips every subtree that is off
 * screen or under half a pixel wide, so a zoomed view of a huge tree costs what
 * it shows. Labels are drawn with fillText: untrusted names are never markup.
 */

import { matchedBytes, nodeAt, pathTo, type FlameMeasure, type FlameModel } from '../model/flame-tree.js';
import { frameLabel } from '../model/frame-view.js';
import { cssVar, h } from './dom.js';
import { formatCount, formatCountDiff, formatPercent, formatSize } from './format.js';

const ROW = 20;
const FONT = '11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';
const MAX_LABEL = 300;

export type Orientation = 'icicle' | 'flame';

export interface FlameGraphHandlers {
  /** A box was selected (node index), or the selection was cleared (-1). */
  select(node: number): void;
  search(text: string): void;
  measure(measure: FlameMeasure): void;
  /** Top-down (callers first) or bottom-up (allocating functions first). */
  invert(inverted: boolean): void;
}

export class FlameGraph {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly #scroller: HTMLElement;
  readonly #tooltip: HTMLElement;
  readonly #searchInput: HTMLInputElement;
  readonly #matched: HTMLElement;
  readonly #legend: HTMLElement;
  readonly #measureSelect: HTMLSelectElement;
  readonly #orientationButton: HTMLButtonElement;
  readonly #directionSelect: HTMLSelectElement;
  readonly #resetButton: HTMLButtonElement;
  readonly #empty: HTMLElement;
  #model: FlameModel | undefined;
  #labels: string[] = [];
  #zoom = 0;
  #selected = -1;
  #hover = -1;
  #orientation: Orientation = 'icicle';
  #matches: Uint8Array | undefined;
  #frame = 0;
  #charWidth = 6.6;
  /** Boxes drawn last, for tests and hit-testing checks (capped). */
  #drawn: Array<{ node: number; x: number; y: number; w: number }> = [];

  constructor(readonly handlers: FlameGraphHandlers) {
    this.canvas = h('canvas', {
      class: 'flame-canvas',
      attrs: { tabindex: 0, role: 'img', 'aria-label': 'Flame graph of live memory by call path. Arrow keys move between boxes, Enter zooms, Escape zooms out.' },
    });
    this.#tooltip = h('div', { class: 'flame-tooltip', attrs: { hidden: true, role: 'tooltip' } });
    this.#empty = h('p', { class: 'flame-empty', attrs: { hidden: true } });
    this.#scroller = h('div', { class: 'flame-scroller' }, this.canvas, this.#empty);
    this.#searchInput = h('input', {
      class: 'search',
      attrs: { type: 'search', placeholder: 'Search frames', 'aria-label': 'Search frames in the flame graph', spellcheck: 'false' },
      on: { input: () => this.handlers.search(this.#searchInput.value) },
    });
    this.#matched = h('span', { class: 'matched', attrs: { 'aria-live': 'polite' } });
    this.#resetButton = h('button', { text: 'Reset zoom', title: 'Zoom out to all memory (Escape)', attrs: { disabled: true }, on: { click: () => this.zoomTo(0) } });
    // The button names the mode shown (as a toggle's state), not the one a click switches to.
    this.#orientationButton = h('button', {
      text: 'Icicle',
      attrs: { 'aria-pressed': 'false' },
      on: { click: () => this.#setOrientation(this.#orientation === 'icicle' ? 'flame' : 'icicle') },
    });
    this.#directionSelect = h(
      'select',
      { attrs: { 'aria-label': 'Direction' }, on: { change: () => this.handlers.invert(this.#directionSelect.value === 'bottom-up') } },
      h('option', { attrs: { value: 'top-down' }, text: 'Top-down', title: 'Callers at the root: where memory is held from' }),
      h('option', { attrs: { value: 'bottom-up' }, text: 'Bottom-up', title: 'Allocating functions at the root, their callers beyond' }),
    );
    this.#measureSelect = h(
      'select',
      { attrs: { 'aria-label': 'Box width' }, on: { change: () => this.handlers.measure(this.#measureSelect.value as FlameMeasure) } },
      h('option', { attrs: { value: 'max' }, text: 'Width: larger side', title: 'Each call path as wide as the larger of its sizes: freed memory stays visible' }),
      h('option', { attrs: { value: 'after' }, text: 'Width: snapshot' }),
      h('option', { attrs: { value: 'before' }, text: 'Width: base' }),
    );
    this.#legend = h('span', { class: 'legend' });
    const bar = h('div', { class: 'flame-bar' }, this.#searchInput, this.#matched, h('span', { class: 'spacer' }), this.#legend, this.#directionSelect, this.#measureSelect, this.#orientationButton, this.#resetButton);
    this.el = h('div', { class: 'flame-graph' }, bar, this.#scroller, this.#tooltip);

    this.canvas.addEventListener('mousemove', (e) => this.#mouseMove(e));
    this.canvas.addEventListener('mouseleave', () => this.#setHover(-1));
    this.canvas.addEventListener('click', (e) => this.#click(e));
    this.canvas.addEventListener('keydown', (e) => this.#key(e));
    new ResizeObserver(() => this.#schedule()).observe(this.#scroller);
  }

  get model(): FlameModel | undefined {
    return this.#model;
  }

  get zoom(): number {
    return this.#zoom;
  }

  get selected(): number {
    return this.#selected;
  }

  setModel(model: FlameModel, search: string, emptyText: string): void {
    const previous = this.#model;
    this.#model = model;
    this.#labels = model.frames.map((f) => {
      const label = frameLabel(f);
      return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL)}…` : label;
    });
    // A new model has new node indices: keep the zoom only if it is the same tree shape.
    if (previous === undefined || previous.length !== model.length) {
      this.#selected = -1;
      this.zoomTo(0);
    }
    this.#hover = -1;
    this.#measureSelect.hidden = !model.compare;
    this.#measureSelect.value = model.measure;
    this.#directionSelect.value = model.inverted ? 'bottom-up' : 'top-down';
    // Rooted at the focused frame (a frame of the traceback panel), the two directions are its callees and its callers.
    const pivot = model.rooted && model.length > 1 && model.frame[1] >= 0 ? frameLabel(model.frames[model.frame[1]]) : null;
    const [down, up] = this.#directionSelect.options;
    down.text = pivot === null ? 'Top-down' : `Callees of ${pivot}`;
    up.text = pivot === null ? 'Bottom-up' : `Callers of ${pivot}`;
    this.#legend.replaceChildren();
    if (model.compare) {
      this.#legend.append(
        h('span', { class: 'swatch grew' }),
        'grew ',
        h('span', { class: 'swatch shrank' }),
        'shrank ',
        h('span', { class: 'swatch same' }),
        'same',
      );
      this.#legend.title = 'The shade is the change as a share of the call path’s own size: new or freed is full colour, +8 KiB of 16 KiB is half.';
    }
    this.#empty.hidden = model.value[0] > 0;
    this.#empty.textContent = emptyText;
    if (this.#searchInput.value !== search) this.#searchInput.value = search;
    this.#applySearch(search);
    this.#resize();
  }

  setSearch(search: string): void {
    this.#applySearch(search);
    this.#schedule();
  }

  focusSearch(): void {
    this.#searchInput.focus();
    this.#searchInput.select();
  }

  /** Zooms so that `node` fills the width; 0 is everything. */
  zoomTo(node: number): void {
    if (this.#model === undefined || node < 0 || node >= this.#model.length) return;
    this.#zoom = node;
    this.#resetButton.disabled = node === 0;
    this.el.dataset.zoom = String(node);
    this.#schedule();
  }

  select(node: number): void {
    this.#selected = node;
    this.handlers.select(node);
    this.#schedule();
  }

  /** The boxes drawn last: node, label and CSS-pixel rectangle within the canvas (at most 5000). */
  boxes(): Array<{ node: number; label: string; x: number; y: number; w: number; h: number }> {
    const model = this.#model;
    if (model === undefined) return [];
    return this.#drawn.map((b) => ({ ...b, h: ROW - 1, label: b.node === 0 ? 'all' : this.#labels[model.frame[b.node]] }));
  }

  /** Node indices from the root to `node`. */
  path(node: number): number[] {
    return this.#model === undefined ? [] : pathTo(this.#model, node);
  }

  #applySearch(search: string): void {
    const model = this.#model;
    const q = search.trim().toLowerCase();
    if (model === undefined || q === '') {
      this.#matches = undefined;
      this.#matched.textContent = '';
      return;
    }
    const m = new Uint8Array(model.frames.length);
    model.frames.forEach((f, i) => {
      m[i] = this.#labels[i].toLowerCase().includes(q) || f.text.toLowerCase().includes(q) ? 1 : 0;
    });
    this.#matches = m;
    const bytes = matchedBytes(model, (f) => f >= 0 && m[f] === 1);
    this.#matched.textContent = bytes > 0 ? `Matches: ${formatSize(bytes)} (${formatPercent(bytes, model.value[0])})` : 'No match';
  }

  #setOrientation(o: Orientation): void {
    this.#orientation = o;
    this.#orientationButton.textContent = o === 'icicle' ? 'Icicle' : 'Flame';
    this.#orientationButton.setAttribute('aria-pressed', String(o === 'flame'));
    this.#orientationButton.title = o === 'icicle' ? 'Shown as an icicle (roots on top): click for a flame graph' : 'Shown as a flame graph (roots at the bottom): click for an icicle';
    this.#resize();
  }

  #resize(): void {
    const model = this.#model;
    const rows = model === undefined ? 1 : model.maxDepth + 1;
    const width = this.#scroller.clientWidth;
    const height = Math.max(rows * ROW, this.#scroller.clientHeight - 2);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = Math.max(1, Math.round(height * dpr));
    if (this.#orientation === 'flame') this.#scroller.scrollTop = this.#scroller.scrollHeight;
    this.#draw();
  }

  #schedule(): void {
    if (this.#frame === 0) {
      this.#frame = requestAnimationFrame(() => {
        this.#frame = 0;
        const dpr = window.devicePixelRatio || 1;
        if (Math.round(this.#scroller.clientWidth * dpr) !== this.canvas.width) this.#resize();
        else this.#draw();
      });
    }
  }

  /** Top y (CSS px) of a row at `depth`. */
  #y(depth: number): number {
    if (this.#orientation === 'icicle') return depth * ROW;
    const height = this.canvas.height / (window.devicePixelRatio || 1);
    return height - (depth + 1) * ROW;
  }

  #depthAt(y: number): number {
    if (this.#orientation === 'icicle') return Math.floor(y / ROW);
    const height = this.canvas.height / (window.devicePixelRatio || 1);
    return Math.floor((height - y) / ROW);
  }

  #draw(): void {
    const model = this.#model;
    const ctx = this.canvas.getContext('2d');
    if (ctx === null) return;
    const dpr = window.devicePixelRatio || 1;
    const width = this.canvas.width / dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, this.canvas.height / dpr);
    if (model === undefined || model.length === 0 || !(model.value[0] > 0)) return;
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    this.#charWidth = ctx.measureText('M').width || 6.6;
    const zoom = this.#zoom;
    const z0 = model.start[zoom];
    const scale = width / (model.value[zoom] || 1);
    const zoomDepth = model.depth[zoom];
    const theme = {
      text: cssVar('--flame-text') || '#1b1b1b',
      muted: cssVar('--flame-ancestor') || '#c8c8c8',
      outline: cssVar('--accent') || '#1a73e8',
      hover: cssVar('--fg') || '#000',
      dark: document.documentElement.dataset.resolvedTheme === 'dark',
    };

    this.#drawn = [];
    let selectedBox: [number, number, number] | undefined;
    let hoverBox: [number, number, number] | undefined;
    for (let i = 0; i < model.length; ) {
      const x = (model.start[i] - z0) * scale;
      const w = model.value[i] * scale;
      if (w < 0.5 || x >= width || x + w <= 0) {
        i = model.end[i];
        continue;
      }
      const depth = model.depth[i];
      const y = this.#y(depth);
      const x0 = Math.max(0, x);
      const x1 = Math.min(width, x + w);
      const f = model.frame[i];
      const ancestor = depth < zoomDepth;
      const dimmed = this.#matches !== undefined && (f < 0 || this.#matches[f] === 0);
      ctx.globalAlpha = dimmed ? 0.35 : 1;
      ctx.fillStyle = ancestor ? theme.muted : this.#color(i, f, theme.dark);
      ctx.fillRect(x0, y, Math.max(0.5, x1 - x0 - (w > 3 ? 1 : 0)), ROW - 1);
      if (x1 - x0 > 24) {
        const label = i === 0 ? (model.compare ? `all: ${formatSize(model.after[0])} (base ${formatSize(model.before[0])})` : `all: ${formatSize(model.value[0])}`) : this.#labels[f];
        const chars = Math.floor((x1 - x0 - 8) / this.#charWidth);
        if (chars >= 2) {
          ctx.fillStyle = theme.text;
          ctx.fillText(label.length > chars ? `${label.slice(0, chars - 1)}…` : label, x0 + 4, y + ROW / 2);
        }
      }
      if (this.#drawn.length < 5000) this.#drawn.push({ node: i, x: x0, y, w: x1 - x0 });
      if (i === this.#selected) selectedBox = [x0, y, x1 - x0];
      if (i === this.#hover) hoverBox = [x0, y, x1 - x0];
      i++;
    }
    ctx.globalAlpha = 1;
    if (hoverBox) {
      ctx.strokeStyle = theme.hover;
      ctx.lineWidth = 1;
      ctx.strokeRect(hoverBox[0] + 0.5, hoverBox[1] + 0.5, Math.max(1, hoverBox[2] - 2), ROW - 2);
    }
    if (selectedBox) {
      ctx.strokeStyle = theme.outline;
      ctx.lineWidth = 2;
      ctx.strokeRect(selectedBox[0] + 1, selectedBox[1] + 1, Math.max(1, selectedBox[2] - 3), ROW - 3);
    }
  }

  #color(i: number, f: number, dark: boolean): string {
    const model = this.#model!;
    if (model.compare) {
      const after = model.after[i];
      const before = model.before[i];
      const diff = after - before;
      if (diff === 0) return dark ? 'hsl(220 8% 42%)' : 'hsl(220 10% 82%)';
      // Relative to the path's own size: new or freed is full colour, 8 KiB more of
      // 16 KiB is half. Scaled to the largest change, one leak turned its whole
      // path, and every small site beside it, one saturated red or one grey.
      const t = 0.2 + 0.8 * Math.min(1, Math.abs(diff) / Math.max(after, before));
      const hue = diff > 0 ? 4 : 214;
      return dark ? `hsl(${hue} ${Math.round(40 + 45 * t)}% ${Math.round(44 - 8 * t)}%)` : `hsl(${hue} ${Math.round(45 + 45 * t)}% ${Math.round(80 - 22 * t)}%)`;
    }
    if (f < 0) return dark ? 'hsl(30 25% 40%)' : 'hsl(30 35% 80%)';
    // Warm flame palette; the hue follows the file (module), the lightness the function.
    const frame = model.frames[f];
    const hue = 8 + (hash(frame.filename) % 44);
    const light = (dark ? 40 : 66) + (hash(frame.function ?? frame.text) % 12);
    return `hsl(${hue} ${dark ? 55 : 80}% ${light}%)`;
  }

  #hit(e: MouseEvent): number {
    const model = this.#model;
    if (model === undefined || model.length === 0) return -1;
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const depth = this.#depthAt(y);
    if (depth < 0) return -1;
    const zoom = this.#zoom;
    const bytes = model.start[zoom] + (x / rect.width) * model.value[zoom];
    return nodeAt(model, bytes, depth);
  }

  #mouseMove(e: MouseEvent): void {
    const node = this.#hit(e);
    this.#setHover(node);
    if (node < 0) return;
    const model = this.#model!;
    const f = model.frame[node];
    const name = node === 0 ? 'all memory' : this.#labels[f];
    const where = node === 0 ? '' : model.frames[f].text;
    const about = model.estimated ? '≈' : '';
    const bytes = model.compare ? model.after[node] : model.value[node];
    const lines = [`${about}${formatSize(bytes)} (${formatPercent(bytes, model.compare ? model.after[0] : model.value[0])}) in ${about}${formatCount(model.count[node])} blocks`];
    if (model.peak) lines[0] += ' at the peak';
    if (model.compare) lines.push(`${formatSize(model.after[node] - model.before[node], true)} since the base (${formatSize(model.before[node])} → ${formatSize(model.after[node])})`);
    if (model.churn !== undefined) {
      const c = model.churn.subarray(4 * node, 4 * node + 4);
      const n = (x: number) => (model.compare ? formatCountDiff(x) : formatCount(x));
      const since = model.compare ? ' since the base' : '';
      lines.push(`Allocated ${n(c[0])} blocks (${formatSize(c[2], model.compare)})${since}`, `Freed ${n(c[1])} blocks (${formatSize(c[3], model.compare)})${since}`);
    }
    const tip = this.#tooltip;
    tip.replaceChildren(h('strong', { text: name }), where && where !== name ? h('div', { class: 'where', text: where }) : '', ...lines.map((l) => h('div', { text: l })));
    tip.hidden = false;
    const host = this.el.getBoundingClientRect();
    const left = Math.min(e.clientX - host.left + 14, host.width - tip.offsetWidth - 4);
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${e.clientY - host.top + 16}px`;
  }

  #setHover(node: number): void {
    if (node < 0) this.#tooltip.hidden = true;
    if (node === this.#hover) return;
    this.#hover = node;
    this.canvas.style.cursor = node >= 0 ? 'pointer' : 'default';
    this.#schedule();
  }

  #click(e: MouseEvent): void {
    const node = this.#hit(e);
    if (node < 0) return;
    this.select(node);
    this.zoomTo(node);
  }

  #key(e: KeyboardEvent): void {
    const model = this.#model;
    if (model === undefined || model.length === 0) return;
    let node = this.#selected < 0 ? this.#zoom : this.#selected;
    const flame = this.#orientation === 'flame';
    switch (e.key) {
      case 'ArrowUp':
      case 'ArrowDown': {
        const towardsRoot = (e.key === 'ArrowUp') !== flame;
        if (towardsRoot) node = pathTo(model, node).at(-2) ?? node;
        else if (node + 1 < model.end[node]) node = node + 1; // heaviest child
        break;
      }
      case 'ArrowLeft':
      case 'ArrowRight':
        node = this.#sibling(node, e.key === 'ArrowRight' ? 1 : -1);
        break;
      case 'Enter':
        this.zoomTo(node);
        break;
      case 'Escape':
        this.zoomTo(0);
        break;
      default:
        return;
    }
    e.preventDefault();
    if (node !== this.#selected) this.select(node);
  }

  /** The next (or previous) box on the same row, left to right. */
  #sibling(node: number, dir: 1 | -1): number {
    const model = this.#model!;
    const depth = model.depth[node];
    if (dir === 1) {
      for (let i = model.end[node]; i < model.length; i++) if (model.depth[i] === depth) return i;
      return node;
    }
    for (let i = node - 1; i >= 0; i--) {
      if (model.depth[i] === depth) return i;
    }
    return node;
  }
}

function hash(s: string): number {
  let x = 2166136261;
  for (let i = 0; i < s.length && i < 200; i++) x = Math.imul(x ^ s.charCodeAt(i), 16777619);
  return x >>> 0;
}
