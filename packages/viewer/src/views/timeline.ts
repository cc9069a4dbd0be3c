/**
 * Traced memory over time: current and peak, with a marker per snapshot. Click a
 * marker to select its snapshot, Shift+click (or Shift+Enter) to compare with it.
 *
 * The runtime samples memory while it traces (current, and the exact highest size
 * since the sample before) and every snapshot carries the samples up to it
 * (SampleSeries). Snapshots of one tracing session share its `start`: their samples
 * are merged into one series (the union by time; where two snapshots hold a sample
 * of the same time, the finer one, with the lower peak, is kept). Each session (a
 * page, a worker, a process) is drawn as its own pair of lines; its snapshots sit on
 * its current line at the time of their own sample. Snapshots without samples (older
 * files) fall back to their meta (timestamp, current, peak), and samples from a live
 * DataSource are drawn as one more series.
 *
 * The samples are also listed, as text, in a table under "Samples" (built when opened).
 */

import type { SampleSeries } from '@wasm-tracemalloc/runtime/model';
import type { MemorySample } from '../import/data-source.js';
import type { SiteLabel } from '../model/analysis.js';
import type { KeyType } from '../model/view-state.js';
import { h, svg } from './dom.js';
import { SiteChart, stackSites, type SiteSeries, type SiteStack } from './site-chart.js';
import { formatCount, formatSize, formatTime } from './format.js';

export interface TimelineSnapshot {
  /** Its number, as every view shows it: "#7" (views/snapshot-label.ts). */
  ref?: string;
  name: string;
  timestamp?: number;
  current?: number;
  peak?: number;
  /** Memory over time up to this snapshot, when the runtime sampled it. */
  samples?: SampleSeries;
  /** Who the samples are of, for people: the snapshot's modules, say. Untrusted text. */
  label?: string;
  /** Set when the snapshot is sampled: its samples count sampled traces, and their sizes are estimates. */
  samplingIntervalBytes?: number;
  /** What each of samples.sites.traceback is (for the chart by site). */
  siteLabels?: SiteLabel[];
}

/** A live tab's samples (streamed by a live DataSource), drawn as a series of its own. */
export interface TimelineLive {
  label: string;
  samples: readonly MemorySample[];
}

export interface TimelineHandlers {
  select(index: number): void;
  compare(index: number): void;
}

/** One session's samples, merged, in absolute time (ms since the epoch). */
export interface TimelineSeries {
  label: string;
  time: number[];
  current: number[];
  peak: number[];
  traces: number[];
  /** Set when the session sampled allocations (start()'s samplingIntervalBytes): `traces` are sampled traces, not blocks. */
  samplingIntervalBytes?: number;
}

const HEIGHT = 96;
/** A lane's height when each session has its own. */
const LANE_HEIGHT = 72;

interface Lane {
  /** What its zoom is remembered by. */
  key: string;
  label: string;
  /** Indices of the drawn series in it, and of the snapshots whose markers it holds. */
  series: number[];
  markers: number[];
}

/** Which colour is which session: the lines' colours, with their labels. */
function legend(series: readonly TimelineSeries[], about: (s: TimelineSeries) => string): HTMLElement {
  return h(
    'span',
    { class: 'timeline-legend' },
    ...series.map((s, k) => h('span', { class: 'legend-item', title: about(s) }, h('span', { class: `legend-swatch series-${k % SERIES_CLASSES}` }), h('span', { text: s.label }))),
  );
}
// top: room for the label of a marker at the highest point.
const PAD = { left: 64, right: 16, top: 18, bottom: 22 };
const SERIES_CLASSES = 4;

/**
 * The series of the snapshots' samples, one per session (samples.start), in order of
 * first appearance, and for each snapshot its series and point (-1 when it has none).
 */
export function mergeSeries(snapshots: TimelineSnapshot[]): { series: TimelineSeries[]; at: Array<{ series: number; point: number }> } {
  const sessions = new Map<number, { label: string; named: boolean; interval: number; byTime: Map<number, [number, number, number]> }>();
  for (const s of snapshots) {
    const x = s.samples;
    if (!x || x.time.length === 0) continue;
    let session = sessions.get(x.start);
    if (!session) sessions.set(x.start, (session = { label: s.label || s.name, named: !!s.label, interval: 0, byTime: new Map() }));
    else if (!session.named && s.label) Object.assign(session, { label: s.label, named: true });
    // A session samples or not from its start(): any of its snapshots says which.
    session.interval ||= s.samplingIntervalBytes ?? 0;
    for (let i = 0; i < x.time.length; i++) {
      const t = x.start + x.time[i];
      const had = session.byTime.get(t);
      if (had === undefined || x.peak[i] < had[1]) session.byTime.set(t, [x.current[i], x.peak[i], x.traces[i]]);
    }
  }
  const series: TimelineSeries[] = [];
  const index = new Map<number, number>();
  for (const [start, { label, interval, byTime }] of sessions) {
    const times = [...byTime.keys()].sort((a, b) => a - b);
    index.set(start, series.length);
    series.push({
      label,
      time: times,
      current: times.map((t) => byTime.get(t)![0]),
      peak: times.map((t) => byTime.get(t)![1]),
      traces: times.map((t) => byTime.get(t)![2]),
      ...(interval > 0 && { samplingIntervalBytes: interval }),
    });
  }
  const at = snapshots.map((s) => {
    const x = s.samples;
    if (!x || x.time.length === 0) return { series: -1, point: -1 };
    const k = index.get(x.start)!;
    return { series: k, point: series[k].time.indexOf(x.start + x.time[x.time.length - 1]) };
  });
  return { series, at };
}

export class Timeline {
  readonly el: HTMLElement;
  readonly #plot: HTMLElement;
  readonly #note: HTMLElement;
  readonly #details: HTMLDetailsElement;
  readonly #tableHost: HTMLElement;
  #snapshots: TimelineSnapshot[] = [];
  /** How many live series are drawn (the last of #series). */
  #live = 0;
  #series: TimelineSeries[] = [];
  #at: Array<{ series: number; point: number }> = [];
  #selected = 0;
  #base: number | null = null;
  /** Time spans zoomed into (brushed), by lane. */
  readonly #zoom = new Map<string, [number, number]>();
  /** Memory by site of the selected snapshot, on its lane's time axis. */
  readonly #sites: SiteChart;
  #keyType: KeyType = 'lineno';
  /** The lane the selected snapshot is in, as last drawn: the chart by site shares its time axis and zoom. */
  #siteLane: { key: string; x0: number; x1: number } | undefined;
  #siteStack: { samples: SiteSeries; keyType: KeyType; stack: SiteStack | undefined } | undefined;

  constructor(readonly handlers: TimelineHandlers) {
    this.#plot = h('div', { class: 'timeline-plot' });
    this.#note = h('p', { class: 'timeline-note' });
    this.#tableHost = h('div', { class: 'timeline-table' });
    this.#details = h('details', { class: 'timeline-samples', on: { toggle: () => this.#renderTable() } }, h('summary', { text: 'Samples' }), this.#tableHost);
    this.#sites = new SiteChart({
      zoom: (range) => {
        const lane = this.#siteLane;
        if (lane === undefined) return;
        if (range === null) this.#zoom.delete(lane.key);
        else this.#zoom.set(lane.key, range);
        this.#render();
      },
    });
    // Folded at first, as the samples are: open, it takes the table's room at 1280 × 800.
    const bySite = h('details', { class: 'timeline-sites', on: { toggle: () => this.#renderSites() } }, h('summary', { text: 'Memory by site' }), this.#sites.el);
    this.el = h('section', { class: 'timeline', attrs: { 'aria-label': 'Memory over time' } }, this.#plot, this.#note, bySite, this.#details);
    new ResizeObserver(() => this.#render()).observe(this.#plot);
  }

  /** Groups the chart by site by `keyType` (the table's key); redraws only that chart. */
  setKeyType(keyType: KeyType): void {
    if (keyType === this.#keyType) return;
    this.#keyType = keyType;
    this.#renderSites();
  }

  /** The chart by site of the selected snapshot's samples, on its lane's time axis. */
  #renderSites(): void {
    const s = this.#snapshots[this.#selected];
    const samples = s?.samples as SiteSeries | undefined;
    const lane = this.#siteLane;
    if (samples?.sites === undefined || s.siteLabels === undefined || lane === undefined) {
      this.#sites.update(undefined, 0, 0, false, this.#keyType);
      return;
    }
    let cached = this.#siteStack;
    if (cached === undefined || cached.samples !== samples || cached.keyType !== this.#keyType) {
      cached = this.#siteStack = { samples, keyType: this.#keyType, stack: stackSites(samples, s.siteLabels, this.#keyType) };
    }
    this.#sites.update(cached.stack, lane.x0, lane.x1, this.#zoom.has(lane.key), this.#keyType);
  }

  /** `samples`: one live series, or one per live tab (named). */
  update(snapshots: TimelineSnapshot[], samples: readonly MemorySample[] | readonly TimelineLive[], selected: number, base: number | null): void {
    this.#snapshots = snapshots;
    this.#selected = selected;
    this.#base = base;
    const { series, at } = mergeSeries(snapshots);
    const lives: readonly TimelineLive[] = samples.length > 0 && 'samples' in samples[0] ? (samples as readonly TimelineLive[]) : [{ label: 'live', samples: samples as readonly MemorySample[] }];
    this.#live = 0;
    for (const { label, samples: list } of lives) {
      if (list.length === 0) continue;
      const live = [...list].sort((a, b) => a.timestamp - b.timestamp);
      series.push({ label, time: live.map((s) => s.timestamp), current: live.map((s) => s.current), peak: live.map((s) => Math.max(s.peak, s.current)), traces: live.map((s) => (s as { traces?: number }).traces ?? NaN) });
      this.#live++;
    }
    this.#series = series;
    this.#at = at;
    // One point is no line: the summary already says it all.
    const points = series.reduce((n, s) => n + s.time.length, 0);
    this.el.hidden = snapshots.length < 2 && points < 2;
    this.#details.hidden = points === 0;
    this.#details.querySelector('summary')!.textContent = `Samples (${formatCount(points)})`;
    this.#render();
    this.#renderTable();
  }

  #render(): void {
    const width = this.#plot.clientWidth;
    if (width === 0) return;
    const snaps = this.#snapshots;
    const series = this.#series;
    // x: time when every snapshot has one (its sample or its timestamp), else load order.
    const sampled = (i: number) => this.#at[i] !== undefined && this.#at[i].point >= 0;
    const timed = snaps.length > 0 ? snaps.every((s, i) => sampled(i) || typeof s.timestamp === 'number') : series.length > 0;
    const markers = snaps.map((s, i) => {
      const a = this.#at[i];
      if (timed && a && a.point >= 0) {
        const x = series[a.series];
        return { x: x.time[a.point], current: x.current[a.point], peak: s.peak, series: a.series };
      }
      return { x: timed ? s.timestamp! : i, current: s.current ?? 0, peak: s.peak, series: -1 };
    });
    const drawn = timed ? series : [];
    // Sessions apart in time each get a lane with its own time axis: on one axis
    // spanning all of them, each was a sliver. Live tabs share one lane (their
    // snapshots sit on their lines by time), as does a single session.
    const lanes: Lane[] = [];
    if (drawn.length > 1 && this.#live === 0) {
      drawn.forEach((x, k) => lanes.push({ key: `s${x.time[0]}`, label: x.label, series: [k], markers: markers.flatMap((m, i) => (m.series === k ? [i] : [])) }));
      const loose = markers.flatMap((m, i) => (m.series < 0 ? [i] : []));
      if (loose.length > 0) lanes.push({ key: 'loose', label: 'snapshots without samples', series: [], markers: loose });
    } else {
      lanes.push({ key: 'all', label: drawn[0]?.label ?? '', series: drawn.map((_, k) => k), markers: markers.map((_, i) => i) });
    }
    const laneH = lanes.length > 1 ? LANE_HEIGHT : HEIGHT;
    const root = svg('svg', { width, height: laneH * lanes.length, viewBox: `0 0 ${width} ${laneH * lanes.length}`, role: 'group', 'aria-label': 'Traced memory over time' });
    const plotW = width - PAD.left - PAD.right;
    const plotH = laneH - PAD.top - PAD.bottom;
    this.#siteLane = undefined;
    lanes.forEach((lane, l) => {
      const top = l * laneH;
      const laneMarkers = lane.markers.map((i) => markers[i]);
      const laneSeries = lane.series.map((k) => drawn[k]);
      const xs = [...laneMarkers.map((m) => m.x), ...laneSeries.flatMap((x) => [x.time[0], x.time[x.time.length - 1]])];
      let x0 = Math.min(...xs);
      let x1 = Math.max(...xs);
      const zoom = this.#zoom.get(lane.key);
      if (zoom !== undefined) [x0, x1] = zoom;
      if (!(x1 > x0)) {
        x0 -= 1;
        x1 += 1;
      }
      if (timed && lane.markers.includes(this.#selected)) this.#siteLane = { key: lane.key, x0, x1 };
      const inView = (x: number) => x >= x0 && x <= x1;
      let yMax = 1;
      for (const x of laneSeries) for (let i = 0; i < x.time.length; i++) if (inView(x.time[i]) && x.peak[i] > yMax) yMax = x.peak[i];
      for (const m of laneMarkers) if (inView(m.x)) yMax = Math.max(yMax, m.current, m.peak ?? 0);
      const X = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * plotW;
      const Y = (y: number) => top + PAD.top + plotH - (y / yMax) * plotH;
      const g = svg('g', { class: 'lane', 'data-lane': l });
      const clip = `lane-clip-${l}`;
      const clipPath = svg('clipPath', { id: clip });
      clipPath.append(svg('rect', { x: PAD.left - 8, y: top, width: plotW + 16, height: laneH }));
      // The brush: drag across the lane to zoom into that time, double-click to zoom out.
      const area = svg('rect', { class: 'brush-area', x: PAD.left, y: top + PAD.top, width: plotW, height: plotH, fill: 'transparent' });
      g.append(clipPath, area);
      g.append(
        svg('line', { class: 'axis', x1: PAD.left, x2: width - PAD.right, y1: Y(0), y2: Y(0) }),
        svg('line', { class: 'grid', x1: PAD.left, x2: width - PAD.right, y1: Y(yMax), y2: Y(yMax) }),
        svg('text', { class: 'tick', x: PAD.left - 6, y: Y(yMax) + 4, 'text-anchor': 'end' }, formatSize(yMax)),
        svg('text', { class: 'tick', x: PAD.left - 6, y: Y(0) + 4, 'text-anchor': 'end' }, '0 B'),
      );
      if (timed && xs.length > 1 && x1 - x0 > 2) {
        g.append(
          svg('text', { class: 'tick', x: X(x0), y: top + laneH - 5, 'text-anchor': 'start' }, `${lanes.length > 1 ? `${lane.label} · ` : ''}${formatTime(x0)}`),
          svg('text', { class: 'tick', x: X(x1), y: top + laneH - 5, 'text-anchor': 'end' }, `${zoom !== undefined ? 'zoomed (double-click: all) · ' : ''}+${((x1 - x0) / 1000).toFixed(1)} s`),
        );
      }
      const data = svg('g', { 'clip-path': `url(#${clip})` });
      lane.series.forEach((k) => {
        const x = drawn[k];
        const { current, peak } = linePaths(x, X, Y, plotW);
        const cls = `series-${k % SERIES_CLASSES}`;
        const attrs = { 'data-series': k, 'data-points': x.time.length };
        // Peak is a step: sample i's peak holds over (time[i-1], time[i]].
        data.append(svg('path', { class: `peak-line ${cls}`, d: peak, ...attrs }), svg('path', { class: `current-line ${cls}`, d: current, ...attrs }));
      });
      // Snapshots without samples are joined by a line of their own, as before samples existed;
      // with live series, a live tab's snapshots sit on its line (at their own time).
      const unsampled = lane.markers.filter((i) => markers[i].series < 0).map((i) => markers[i]).sort((a, b) => a.x - b.x);
      if (unsampled.length > 1 && this.#live === 0) {
        const line = (key: 'current' | 'peak') => unsampled.map((p, i) => `${i ? 'L' : 'M'}${X(p.x).toFixed(1)},${Y(key === 'peak' ? p.peak ?? p.current : p.current).toFixed(1)}`).join('');
        data.append(svg('path', { class: 'peak-line', d: line('peak') }), svg('path', { class: 'current-line', d: line('current') }));
      }
      g.append(data);
      const shown = lane.markers.filter((i) => inView(markers[i].x));
      const cxs = dodge(shown.map((i) => X(markers[i].x)), PAD.left, width - PAD.right);
      shown.forEach((i, j) => g.append(this.#marker(i, markers[i], cxs[j], Y(markers[i].current), Y)));
      this.#brush(area, lane.key, x0, x1, plotW);
      root.append(g);
    });
    this.#plot.replaceChildren(root);
    this.#renderSites();
    const highest = (s: TimelineSeries) => s.peak.reduce((a, b) => Math.max(a, b), 0);
    const aboutOf = (s: TimelineSeries) => `${s.label}: ${formatCount(s.time.length)} samples over ${((s.time[s.time.length - 1] - s.time[0]) / 1000).toFixed(1)} s, highest ${formatSize(highest(s))}.`;
    // Several sessions: a legend line each (their numbers in its tooltips), not a sentence each.
    const about = drawn.length === 1 ? [aboutOf(drawn[0])] : [];
    this.#note.replaceChildren(
      ...(drawn.length > 1 ? [legend(drawn, aboutOf)] : []),
      [
        ...about,
        snaps.length < 2 && drawn.length === 0
          ? 'One snapshot: open more snapshots of the same program to see memory over time.'
          : `Click a marker to select it, Shift+click to compare with it; drag to zoom. Solid: current, dashed: ${drawn.length > 0 ? 'highest between samples' : 'peak'}.`,
      ].join(' '),
    );
  }

  #marker(i: number, m: { x: number; current: number; series: number }, cx: number, cy: number, Y: (y: number) => number): SVGGElement {
    const s = this.#snapshots[i];
    const role = i === this.#selected ? 'selected' : i === this.#base ? 'base' : '';
    // Its own time, as its label says it (its last sample may be a moment before).
    const when = s.timestamp !== undefined || m.series >= 0 ? ` at ${formatTime(s.timestamp ?? m.x)}` : '';
    const ref = s.ref ?? `#${i + 1}`;
    const label = `Snapshot ${ref}: ${s.name}, current ${formatSize(m.current)}, peak ${formatSize(s.peak ?? 0)}${when}${role === 'selected' ? ' (selected)' : role === 'base' ? ' (compared with)' : ''}`;
    const g = svg('g', { class: `marker ${role}`, tabindex: 0, role: 'button', 'aria-label': label, 'data-index': i });
    g.append(svg('title', {}, `${label}\nClick: select · Shift+click: compare with`));
    // The whole marker, label included, takes the click (not only its painted strokes).
    g.append(svg('rect', { class: 'marker-hit', x: cx - 7, y: cy - 21, width: 14, height: 28, fill: 'transparent' }));
    if (m.series < 0 && s.peak !== undefined && s.peak !== s.current) g.append(svg('circle', { class: 'peak-dot', cx, cy: Y(s.peak), r: 2.5 }));
    g.append(svg('circle', { cx, cy, r: role ? 6 : 5 }), svg('text', { class: 'marker-label', x: cx, y: cy - 9, 'text-anchor': 'middle' }, ref.replace(/^#/, '')));
    const act = (shift: boolean) => (shift ? this.handlers.compare(i) : this.handlers.select(i));
    g.addEventListener('click', (e) => act((e as MouseEvent).shiftKey));
    g.addEventListener('keydown', (e) => {
      const k = e as KeyboardEvent;
      if (k.key === 'Enter' || k.key === ' ') {
        k.preventDefault();
        act(k.shiftKey);
      }
    });
    return g;
  }

  /** Drag on a lane's plot to zoom its time axis to the dragged span; double-click to see all of it again. */
  #brush(area: SVGRectElement, key: string, x0: number, x1: number, plotW: number): void {
    area.addEventListener('pointerdown', (down) => {
      const svgEl = area.ownerSVGElement!;
      const left = area.getBoundingClientRect().left;
      const from = down.clientX - left;
      const band = svg('rect', { class: 'brush', x: from + PAD.left, y: area.y.baseVal.value, width: 0, height: area.height.baseVal.value });
      svgEl.append(band);
      area.setPointerCapture(down.pointerId);
      const move = (e: PointerEvent) => {
        const to = Math.max(0, Math.min(plotW, e.clientX - left));
        band.setAttribute('x', String(PAD.left + Math.min(from, to)));
        band.setAttribute('width', String(Math.abs(to - from)));
      };
      const up = (e: PointerEvent) => {
        area.removeEventListener('pointermove', move);
        area.removeEventListener('pointerup', up);
        band.remove();
        const to = Math.max(0, Math.min(plotW, e.clientX - left));
        if (Math.abs(to - from) < 5) return;
        const t = (px: number) => x0 + (px / plotW) * (x1 - x0);
        this.#zoom.set(key, [t(Math.min(from, to)), t(Math.max(from, to))]);
        this.#render();
      };
      area.addEventListener('pointermove', move);
      area.addEventListener('pointerup', up);
    });
    area.addEventListener('dblclick', () => {
      if (this.#zoom.delete(key)) this.#render();
    });
  }

  /** The samples as a text table, one row each: built only while "Samples" is open. */
  #renderTable(): void {
    if (!this.#details.open) {
      this.#tableHost.replaceChildren();
      return;
    }
    const tables = this.#series.map((s, k) => {
      const t0 = s.time[0] ?? 0;
      const sampled = s.samplingIntervalBytes !== undefined;
      const body = h('tbody', {});
      for (let i = 0; i < s.time.length; i++) {
        body.append(
          h(
            'tr',
            { attrs: { 'data-current': s.current[i], 'data-peak': s.peak[i] } },
            h('td', { text: `+${((s.time[i] - t0) / 1000).toFixed(3)} s` }),
            h('td', { text: formatSize(s.current[i]), title: `${s.current[i]} B` }),
            h('td', { text: formatSize(s.peak[i]), title: `${s.peak[i]} B` }),
            h('td', { text: Number.isNaN(s.traces[i]) ? '' : formatCount(s.traces[i]) }),
          ),
        );
      }
      return h(
        'table',
        { attrs: { 'data-series': k } },
        h(
          'caption',
          { title: s.label },
          h('span', { class: `legend-swatch series-${k % SERIES_CLASSES}`, attrs: { 'aria-hidden': 'true' } }),
          `${s.label}, from ${formatTime(t0)}${sampled ? ` (sampled, one trace per ${formatSize(s.samplingIntervalBytes!)} allocated: sizes are estimates)` : ''}`,
        ),
        // Sampled, the tracer counts its sampled traces, not the blocks they stand for.
        h('thead', {}, h('tr', {}, h('th', { text: 'time' }), h('th', { text: 'current' }), h('th', { text: 'peak since previous' }), h('th', { text: sampled ? 'sampled traces' : 'blocks' }))),
        body,
      );
    });
    this.#tableHost.replaceChildren(...tables);
  }
}

/** Marker gap in px: snapshots taken moments apart stay apart enough to click. */
const MARKER_GAP = 12;

/**
 * x positions moved apart by at least MARKER_GAP (in time order, within [left,
 * right] when they fit), each as little as possible: a marker keeps its sample's
 * height and its label says its exact time.
 */
function dodge(xs: number[], left: number, right: number): number[] {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b] || a - b);
  const out = xs.slice();
  for (let k = 1; k < order.length; k++) out[order[k]] = Math.max(out[order[k]], out[order[k - 1]] + MARKER_GAP);
  const last = order[order.length - 1];
  if (last !== undefined && out[last] > right) {
    out[last] = Math.max(right, xs[last]);
    for (let k = order.length - 2; k >= 0; k--) out[order[k]] = Math.max(Math.min(out[order[k]], out[order[k + 1]] - MARKER_GAP), Math.min(left, xs[order[k]]));
  }
  return out;
}

/**
 * SVG path data for one series. Beyond two samples per pixel the samples are grouped
 * by pixel column: each column draws its lowest and highest current and its highest
 * peak, so no spike disappears.
 */
function linePaths(s: TimelineSeries, X: (x: number) => number, Y: (y: number) => number, plotW: number): { current: string; peak: string } {
  const n = s.time.length;
  const current: string[] = [];
  const peak: string[] = [];
  if (n <= 2 * plotW) {
    for (let i = 0; i < n; i++) {
      const x = X(s.time[i]).toFixed(1);
      current.push(`${i ? 'L' : 'M'}${x},${Y(s.current[i]).toFixed(1)}`);
      peak.push(i === 0 ? `M${x},${Y(s.peak[0]).toFixed(1)}` : `V${Y(s.peak[i]).toFixed(1)}H${x}`);
    }
    return { current: current.join(''), peak: peak.join('') };
  }
  let column = NaN;
  let lo = 0;
  let hi = 0;
  let top = 0;
  let last = 0;
  const flush = () => {
    if (Number.isNaN(column)) return;
    const x = column.toFixed(1);
    current.push(`${current.length ? 'L' : 'M'}${x},${Y(lo).toFixed(1)}L${x},${Y(hi).toFixed(1)}L${x},${Y(last).toFixed(1)}`);
    peak.push(peak.length ? `V${Y(top).toFixed(1)}H${x}` : `M${x},${Y(top).toFixed(1)}`);
  };
  for (let i = 0; i < n; i++) {
    const c = Math.round(X(s.time[i]));
    if (c !== column) {
      flush();
      column = c;
      lo = hi = last = s.current[i];
      top = s.peak[i];
    } else {
      lo = Math.min(lo, s.current[i]);
      hi = Math.max(hi, s.current[i]);
      top = Math.max(top, s.peak[i]);
      last = s.current[i];
    }
  }
  flush();
  return { current: current.join(''), peak: peak.join('') };
}
