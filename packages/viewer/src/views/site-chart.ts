/**
 * Memory over time by site (heaptrack's "consumed" chart): the sites that held
 * the most memory, stacked, and "other" (the traced bytes no tracked site
 * accounts for) on top, so the stack's top is the current traced size. From the
 * selected snapshot's samples (SampleSeries.sites), grouped by the table's key:
 * a site's line, its file, or its whole traceback.
 *
 * Drawn on the timeline's time axis and zoom: brushing here zooms the timeline's
 * lane of the snapshot's session, and the other way round. Hovering shows every
 * band's bytes at that time.
 */

import type { SampleSeries } from '@wasm-tracemalloc/runtime/model';
import type { SiteLabel } from '../model/analysis.js';
import type { KeyType } from '../model/view-state.js';
import { h, svg } from './dom.js';
import { formatSize, formatTime } from './format.js';

/** Sample series with the per-site columns of snapshot-data.ts. */
export type SiteSeries = SampleSeries & { sites?: { traceback: number[]; size: number[][] } };

export interface SiteBand {
  /** The group's identity (churn.ts key). */
  key: string;
  /** What the legend says: function and file:line, the file, or function, file:line and callers. */
  label: string;
  /** Its tooltip: the full text. */
  title: string;
  /** Bytes at each sample. */
  values: Float64Array;
}

export interface SiteStack {
  /** Milliseconds since the epoch, per sample. */
  time: number[];
  current: number[];
  /** Bottom first: the group with the most bytes over the series (its area) first. */
  bands: SiteBand[];
  /** current − Σ bands, at least 0: untracked sites and the groups beyond the shown ones. */
  other: Float64Array;
  /** Groups folded into "other" (beyond the limit). */
  folded: number;
}

/** Bands drawn at most (the rest is "other"), each with a colour of its own. */
export const SITE_BANDS = 8;

/**
 * The stack of `samples.sites` by `keyType`: sites of one key summed, the
 * `limit` groups with the largest area kept, the rest in "other". Undefined when
 * the series tracks no site.
 */
export function stackSites(samples: SiteSeries, labels: readonly SiteLabel[], keyType: KeyType, limit = SITE_BANDS): SiteStack | undefined {
  const sites = samples.sites;
  if (sites === undefined || sites.traceback.length === 0) return undefined;
  const n = samples.time.length;
  const groups = new Map<string, SiteBand & { area: number }>();
  sites.traceback.forEach((_, k) => {
    const l = labels[k];
    if (l === undefined) return;
    const key = l[keyType];
    let g = groups.get(key);
    if (g === undefined) {
      const fn = l.function ? `${l.function} ` : '';
      const label = keyType === 'filename' ? l.file : `${fn}${l.text}`;
      const title = keyType === 'traceback' && l.callers ? `${label} ${l.callers}` : keyType === 'filename' ? l.file : label;
      groups.set(key, (g = { key, label, title, values: new Float64Array(n), area: 0 }));
    }
    const column = sites.size[k] ?? [];
    for (let i = 0; i < n; i++) {
      const v = column[i] ?? 0;
      g.values[i] += v;
      g.area += v;
    }
  });
  const ranked = [...groups.values()].filter((g) => g.area > 0).sort((a, b) => b.area - a.area || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const bands: SiteBand[] = ranked.slice(0, limit).map(({ key, label, title, values }) => ({ key, label, title, values }));
  const other = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const b of bands) sum += b.values[i];
    other[i] = Math.max(0, samples.current[i] - sum);
  }
  return { time: samples.time.map((t) => samples.start + t), current: samples.current, bands, other, folded: ranked.length - bands.length };
}

/** The top of each layer at sample i, bottom first: the bands, then "other" (whose top is the larger of current and Σ bands). */
export function stackTops(stack: SiteStack, i: number): number[] {
  const tops: number[] = [];
  let y = 0;
  for (const b of stack.bands) tops.push((y += b.values[i]));
  tops.push(y + stack.other[i]);
  return tops;
}

const HEIGHT = 120;
const PAD = { left: 64, right: 16, top: 8, bottom: 18 };

export interface SiteChartHandlers {
  /** Zoom the session's time axis to [from, to] (ms since the epoch), or back to all of it (null). */
  zoom(range: [number, number] | null): void;
}

export class SiteChart {
  readonly el: HTMLElement;
  readonly #plot: HTMLElement;
  readonly #legend: HTMLElement;
  readonly #tip: HTMLElement;
  readonly #title: HTMLElement;
  #stack: SiteStack | undefined;
  #range: [number, number] = [0, 1];
  #zoomed = false;

  constructor(readonly handlers: SiteChartHandlers) {
    this.#plot = h('div', { class: 'site-plot' });
    this.#legend = h('div', { class: 'site-legend', attrs: { role: 'list', 'aria-label': 'Sites' } });
    this.#tip = h('div', { class: 'site-tip', attrs: { hidden: true, role: 'tooltip' } });
    this.#title = h('div', { class: 'site-title' });
    this.el = h('div', { class: 'site-chart', attrs: { role: 'group', 'aria-label': 'Memory over time by site' } }, this.#plot, h('div', { class: 'site-side' }, this.#title, this.#legend), this.#tip);
    new ResizeObserver(() => this.#draw()).observe(this.#plot);
  }

  /** Shows `stack` over [x0, x1] (ms since the epoch; `zoomed` when it is a brushed part), or hides the chart (undefined). */
  update(stack: SiteStack | undefined, x0: number, x1: number, zoomed: boolean, keyType: KeyType): void {
    this.#stack = stack;
    this.el.hidden = stack === undefined;
    if (stack === undefined) return;
    this.#range = x1 > x0 ? [x0, x1] : [x0 - 1, x1 + 1];
    this.#zoomed = zoomed;
    const by = keyType === 'filename' ? 'file' : keyType === 'lineno' ? 'line' : 'traceback';
    this.#title.textContent = `Memory by site (by ${by})`;
    this.#title.title = 'Traced bytes of the sites that held the most, stacked; “other” is the rest of the traced memory. From the selected snapshot’s samples.';
    const item = (cls: string, label: string, title: string) =>
      h('span', { class: 'site-item', title, attrs: { role: 'listitem' } }, h('span', { class: `site-swatch ${cls}`, attrs: { 'aria-hidden': 'true' } }), h('span', { class: 'site-label', text: label }));
    // Top to bottom, as the layers are stacked: "other" is the top one.
    this.#legend.replaceChildren(
      item('site-other', stack.folded > 0 ? `other (with ${stack.folded} more sites)` : 'other', 'Traced bytes that none of the sites listed below holds'),
      ...[...stack.bands].reverse().map((b) => item(`site-${stack.bands.indexOf(b)}`, b.label, b.title)),
    );
    this.#draw();
  }

  #draw(): void {
    const stack = this.#stack;
    const width = this.#plot.clientWidth;
    // The hovered element is replaced: its pointerleave would never come.
    this.#tip.hidden = true;
    if (stack === undefined || width === 0) return;
    const [x0, x1] = this.#range;
    const plotW = width - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom;
    const n = stack.time.length;
    // The samples in view (and one each side, so the areas reach the edges).
    let from = 0;
    while (from < n - 1 && stack.time[from + 1] < x0) from++;
    let to = n - 1;
    while (to > 0 && stack.time[to - 1] > x1) to--;
    let yMax = 1;
    for (let i = from; i <= to; i++) yMax = Math.max(yMax, stackTops(stack, i).at(-1)!);
    const X = (t: number) => PAD.left + ((t - x0) / (x1 - x0)) * plotW;
    const Y = (v: number) => PAD.top + plotH - (v / yMax) * plotH;
    // One point per pixel column at most: the sample with the most memory in it, so no spike disappears.
    const points: number[] = [];
    let column = NaN;
    for (let i = from; i <= to; i++) {
      const c = Math.round(X(stack.time[i]));
      const last = points.length - 1;
      if (c !== column) {
        points.push(i);
        column = c;
      } else if (stack.current[i] > stack.current[points[last]]) points[last] = i;
    }
    const layers = stack.bands.length + 1;
    const tops = points.map((i) => stackTops(stack, i));
    const root = svg('svg', { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', 'aria-label': 'Stacked memory by site over time' });
    const clip = svg('clipPath', { id: 'site-clip' });
    clip.append(svg('rect', { x: PAD.left, y: 0, width: plotW, height: HEIGHT }));
    root.append(clip);
    const areas = svg('g', { 'clip-path': 'url(#site-clip)' });
    for (let j = 0; j < layers; j++) {
      let d = '';
      points.forEach((i, p) => (d += `${p ? 'L' : 'M'}${X(stack.time[i]).toFixed(1)},${Y(tops[p][j]).toFixed(1)}`));
      for (let p = points.length - 1; p >= 0; p--) d += `L${X(stack.time[points[p]]).toFixed(1)},${Y(j > 0 ? tops[p][j - 1] : 0).toFixed(1)}`;
      const cls = j < stack.bands.length ? `site-${j}` : 'site-other';
      areas.append(svg('path', { class: `site-area ${cls}`, d: `${d}Z`, 'data-band': j < stack.bands.length ? stack.bands[j].label : 'other' }));
    }
    root.append(
      areas,
      svg('line', { class: 'axis', x1: PAD.left, x2: width - PAD.right, y1: Y(0), y2: Y(0) }),
      svg('text', { class: 'tick', x: PAD.left - 6, y: Y(yMax) + 4, 'text-anchor': 'end' }, formatSize(yMax)),
      svg('text', { class: 'tick', x: PAD.left - 6, y: Y(0) + 4, 'text-anchor': 'end' }, '0 B'),
      svg('text', { class: 'tick', x: PAD.left, y: HEIGHT - 4, 'text-anchor': 'start' }, formatTime(x0)),
      svg('text', { class: 'tick', x: width - PAD.right, y: HEIGHT - 4, 'text-anchor': 'end' }, `${this.#zoomed ? 'zoomed (double-click: all) · ' : ''}+${((x1 - x0) / 1000).toFixed(1)} s`),
    );
    const cursor = svg('line', { class: 'site-cursor', x1: 0, x2: 0, y1: PAD.top, y2: PAD.top + plotH, visibility: 'hidden' });
    const area = svg('rect', { class: 'brush-area', x: PAD.left, y: PAD.top, width: plotW, height: plotH, fill: 'transparent' });
    root.append(cursor, area);
    this.#interact(root, area, cursor, X, plotW);
    this.#plot.replaceChildren(root);
  }

  /** Hover: the values at the nearest sample. Drag: zoom to the span. Double-click: all of it. */
  #interact(root: SVGSVGElement, area: SVGRectElement, cursor: SVGLineElement, X: (t: number) => number, plotW: number): void {
    const stack = this.#stack!;
    const [x0, x1] = this.#range;
    const timeAt = (clientX: number) => x0 + ((clientX - area.getBoundingClientRect().left) / plotW) * (x1 - x0);
    let dragFrom: number | undefined;
    let band: SVGRectElement | undefined;
    area.addEventListener('pointermove', (e) => {
      if (dragFrom !== undefined && band !== undefined) {
        const to = Math.max(0, Math.min(plotW, e.clientX - area.getBoundingClientRect().left));
        band.setAttribute('x', String(PAD.left + Math.min(dragFrom, to)));
        band.setAttribute('width', String(Math.abs(to - dragFrom)));
        return;
      }
      const i = nearest(stack.time, timeAt(e.clientX));
      const x = X(stack.time[i]);
      cursor.setAttribute('x1', String(x));
      cursor.setAttribute('x2', String(x));
      cursor.setAttribute('visibility', 'visible');
      this.#showTip(i, e);
    });
    area.addEventListener('pointerleave', () => {
      cursor.setAttribute('visibility', 'hidden');
      this.#tip.hidden = true;
    });
    area.addEventListener('pointerdown', (e) => {
      dragFrom = e.clientX - area.getBoundingClientRect().left;
      band = svg('rect', { class: 'brush', x: PAD.left + dragFrom, y: area.y.baseVal.value, width: 0, height: area.height.baseVal.value });
      root.append(band);
      area.setPointerCapture(e.pointerId);
      this.#tip.hidden = true;
    });
    area.addEventListener('pointerup', (e) => {
      if (dragFrom === undefined) return;
      const to = Math.max(0, Math.min(plotW, e.clientX - area.getBoundingClientRect().left));
      const from = dragFrom;
      dragFrom = undefined;
      band?.remove();
      band = undefined;
      if (Math.abs(to - from) < 5) return;
      const t = (px: number) => x0 + (px / plotW) * (x1 - x0);
      this.handlers.zoom([t(Math.min(from, to)), t(Math.max(from, to))]);
    });
    area.addEventListener('dblclick', () => this.handlers.zoom(null));
  }

  #showTip(i: number, e: PointerEvent): void {
    const stack = this.#stack!;
    const rows = stack.bands.map((b, j) => ({ cls: `site-${j}`, label: b.label, value: b.values[i] })).reverse();
    rows.unshift({ cls: 'site-other', label: 'other', value: stack.other[i] });
    this.#tip.replaceChildren(
      h('strong', { text: `${formatTime(stack.time[i])} · ${formatSize(stack.current[i])} traced` }),
      ...rows.map((r) => h('div', { class: 'site-tip-row' }, h('span', { class: `site-swatch ${r.cls}` }), h('span', { class: 'site-label', text: r.label }), h('span', { class: 'num', text: formatSize(r.value) }))),
    );
    this.#tip.hidden = false;
    const host = this.el.getBoundingClientRect();
    // Left of the pointer in the right half, so that it does not hide the legend.
    const x = e.clientX - host.left;
    const left = x > host.width / 2 ? x - 14 - this.#tip.offsetWidth : Math.min(x + 14, host.width - this.#tip.offsetWidth - 4);
    this.#tip.style.left = `${Math.max(4, left)}px`;
    this.#tip.style.top = `${Math.max(0, e.clientY - host.top - this.#tip.offsetHeight - 8)}px`;
  }
}

/** Index of the time nearest `t` in an ascending list. */
function nearest(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && t - times[lo - 1] < times[lo] - t ? lo - 1 : lo;
}
