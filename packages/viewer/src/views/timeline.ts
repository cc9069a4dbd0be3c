/**
 * Traced memory over time: current and peak, with a marker per snapshot. Click a
 * marker to select its snapshot, Shift+click (or Shift+Enter) to compare with it.
 *
 * The runtime records no samples between snapshots yet, so the points are the
 * snapshots' own meta (timestamp, current, peak); samples from a live DataSource
 * are drawn the same way when they come.
 */

import type { MemorySample } from '../import/data-source.js';
import { h, svg } from './dom.js';
import { formatSize, formatTime } from './format.js';

export interface TimelineSnapshot {
  name: string;
  timestamp?: number;
  current?: number;
  peak?: number;
}

export interface TimelineHandlers {
  select(index: number): void;
  compare(index: number): void;
}

const HEIGHT = 96;
const PAD = { left: 64, right: 16, top: 12, bottom: 22 };

export class Timeline {
  readonly el: HTMLElement;
  readonly #plot: HTMLElement;
  readonly #note: HTMLElement;
  #snapshots: TimelineSnapshot[] = [];
  #samples: MemorySample[] = [];
  #selected = 0;
  #base: number | null = null;

  constructor(readonly handlers: TimelineHandlers) {
    this.#plot = h('div', { class: 'timeline-plot' });
    this.#note = h('p', { class: 'timeline-note' });
    this.el = h('section', { class: 'timeline', attrs: { 'aria-label': 'Memory over time' } }, this.#plot, this.#note);
    new ResizeObserver(() => this.#render()).observe(this.#plot);
  }

  update(snapshots: TimelineSnapshot[], samples: MemorySample[], selected: number, base: number | null): void {
    this.#snapshots = snapshots;
    this.#samples = samples;
    this.#selected = selected;
    this.#base = base;
    // One point is no line: the summary already says it all.
    this.el.hidden = snapshots.length < 2 && samples.length === 0;
    this.#render();
  }

  #render(): void {
    const width = this.#plot.clientWidth;
    if (width === 0) return;
    const snaps = this.#snapshots;
    // x: time when every snapshot has one, else load order.
    const timed = snaps.length > 0 && snaps.every((s) => typeof s.timestamp === 'number');
    const xs = snaps.map((s, i) => (timed ? s.timestamp! : i));
    const points = [
      ...this.#samples.map((s) => ({ x: timed ? s.timestamp : NaN, current: s.current, peak: s.peak })),
      ...snaps.map((s, i) => ({ x: xs[i], current: s.current ?? 0, peak: s.peak ?? s.current ?? 0 })),
    ]
      .filter((p) => Number.isFinite(p.x))
      .sort((a, b) => a.x - b.x);
    let x0 = Math.min(...xs);
    let x1 = Math.max(...xs);
    if (!(x1 > x0)) {
      x0 -= 1;
      x1 += 1;
    }
    const yMax = Math.max(1, ...points.map((p) => Math.max(p.peak, p.current)));
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const X = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * plotW;
    const Y = (y: number) => PAD.top + plotH - (y / yMax) * plotH;

    const root = svg('svg', { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'group', 'aria-label': 'Traced memory per snapshot' });
    // Axes: 0 and the maximum.
    root.append(
      svg('line', { class: 'axis', x1: PAD.left, x2: width - PAD.right, y1: Y(0), y2: Y(0) }),
      svg('line', { class: 'grid', x1: PAD.left, x2: width - PAD.right, y1: Y(yMax), y2: Y(yMax) }),
      svg('text', { class: 'tick', x: PAD.left - 6, y: Y(yMax) + 4, 'text-anchor': 'end' }, formatSize(yMax)),
      svg('text', { class: 'tick', x: PAD.left - 6, y: Y(0) + 4, 'text-anchor': 'end' }, '0 B'),
    );
    if (timed && snaps.length > 1) {
      root.append(
        svg('text', { class: 'tick', x: X(x0), y: HEIGHT - 5, 'text-anchor': 'start' }, formatTime(x0)),
        svg('text', { class: 'tick', x: X(x1), y: HEIGHT - 5, 'text-anchor': 'end' }, `+${((x1 - x0) / 1000).toFixed(1)} s`),
      );
    }
    if (points.length > 1) {
      const line = (key: 'current' | 'peak') => points.map((p, i) => `${i ? 'L' : 'M'}${X(p.x).toFixed(1)},${Y(p[key]).toFixed(1)}`).join('');
      root.append(svg('path', { class: 'peak-line', d: line('peak') }), svg('path', { class: 'current-line', d: line('current') }));
    }
    snaps.forEach((s, i) => {
      const cx = X(xs[i]);
      const cy = Y(s.current ?? 0);
      const role = i === this.#selected ? 'selected' : i === this.#base ? 'base' : '';
      const label = `Snapshot ${i + 1}: ${s.name}, current ${formatSize(s.current ?? 0)}, peak ${formatSize(s.peak ?? 0)}${s.timestamp !== undefined ? ` at ${formatTime(s.timestamp)}` : ''}${role === 'selected' ? ' (selected)' : role === 'base' ? ' (compared with)' : ''}`;
      const g = svg('g', { class: `marker ${role}`, tabindex: 0, role: 'button', 'aria-label': label, 'data-index': i });
      g.append(svg('title', {}, `${label}\nClick: select · Shift+click: compare with`));
      if (s.peak !== undefined && s.peak !== s.current) g.append(svg('circle', { class: 'peak-dot', cx, cy: Y(s.peak), r: 2.5 }));
      g.append(svg('circle', { cx, cy, r: role ? 6 : 5 }), svg('text', { class: 'marker-label', x: cx, y: cy - 9, 'text-anchor': 'middle' }, String(i + 1)));
      const act = (shift: boolean) => (shift ? this.handlers.compare(i) : this.handlers.select(i));
      g.addEventListener('click', (e) => act((e as MouseEvent).shiftKey));
      g.addEventListener('keydown', (e) => {
        const k = e as KeyboardEvent;
        if (k.key === 'Enter' || k.key === ' ') {
          k.preventDefault();
          act(k.shiftKey);
        }
      });
      root.append(g);
    });
    this.#plot.replaceChildren(root);
    this.#note.textContent =
      snaps.length < 2
        ? 'One snapshot: open more snapshots of the same program to see memory over time.'
        : 'Click a marker to select it, Shift+click to compare with it. Solid: current, dashed: peak.';
  }
}
