/**
 * The "Live" bar, shown when the viewer is served by the Vite plugin: every open tab
 * of the app (a page or a Web Worker, each with its own trace table) with its traced
 * memory now, the highest over the samples kept, a small chart of both, and a
 * "Snapshot now" button; the modules the dev server sent untraced, and why; and,
 * once a tab has two snapshots open, the one-click diff of its newest with its
 * previous. Rows are updated in place: samples arrive twice a second per tab, and a
 * button must not be replaced under the pointer.
 */

import type { LiveSample, LiveTab, LiveUntracedModule } from '../import/live-source.js';
import { h, svg } from './dom.js';
import { formatSize } from './format.js';

export interface LiveBarHandlers {
  snapshotNow(tab: string): void;
  /** Applies the offered diff. */
  compare(): void;
  /** Opens a snapshot the dev server holds (one of setHeld's). */
  open(id: number): void;
}

/** A snapshot the dev server holds and the page has not opened. */
export interface HeldSnapshot {
  id: number;
  /** "#7 · my app · 20:40:49 · 80.9 KiB": its label (views/snapshot-label.ts). */
  text: string;
}

/** The diff the bar offers: the selected live snapshot with its tab's previous one. */
export interface LiveOffer {
  text: string;
  title: string;
  /** Already shown. */
  active: boolean;
}

interface Row {
  el: HTMLElement;
  kind: HTMLElement;
  label: HTMLElement;
  modules: HTMLElement;
  current: HTMLElement;
  peak: HTMLElement;
  chart: HTMLElement;
  button: HTMLButtonElement;
}

const CHART_W = 80;
const CHART_H = 26;

export class LiveBar {
  readonly el: HTMLElement;
  readonly #tabs: HTMLElement;
  readonly #status: HTMLElement;
  readonly #offer: HTMLButtonElement;
  readonly #untraced: HTMLElement;
  readonly #held: HTMLSelectElement;
  #untracedKey = '';
  #heldKey = '';
  readonly #rows = new Map<string, Row>();

  constructor(readonly handlers: LiveBarHandlers) {
    this.#tabs = h('div', { class: 'live-tabs' });
    this.#status = h('span', { class: 'live-status', attrs: { role: 'status' }, text: 'Connecting to the dev server…' });
    this.#offer = h('button', { class: 'live-compare primary', attrs: { hidden: true }, on: { click: () => this.handlers.compare() } });
    this.#untraced = h('div', { class: 'live-untraced', attrs: { hidden: true } });
    this.#held = h('select', {
      class: 'live-held',
      attrs: { 'aria-label': 'Open a snapshot the dev server holds', hidden: true },
      on: {
        change: () => {
          const value = this.#held.value;
          this.#held.value = '';
          if (value !== '') this.handlers.open(Number(value));
        },
      },
    });
    this.el = h(
      'section',
      { class: 'live-bar', attrs: { 'aria-label': 'Live: the tabs of the app' } },
      h(
        'span',
        { class: 'live-badge', title: 'Connected to the Vite dev server: each open tab of the app with its traced memory; snapshots taken here or by takeSnapshot() in the app open as they arrive' },
        h('span', { class: 'live-dot', attrs: { 'aria-hidden': 'true' } }),
        h('span', { text: 'Live' }),
      ),
      this.#status,
      this.#tabs,
      this.#untraced,
      h('span', { class: 'spacer' }),
      this.#held,
      this.#offer,
    );
  }

  update(
    connected: boolean,
    tabs: readonly LiveTab[],
    samplesOf: (tab: string) => readonly LiveSample[],
    highestOf: (tab: string) => number,
    untraced: readonly LiveUntracedModule[] = [],
  ): void {
    this.#showUntraced(untraced);
    this.#status.textContent = !connected ? 'Connecting to the dev server…' : tabs.length === 0 ? 'No traced tab is open: open the app in a tab and it appears here.' : '';
    for (const [id, row] of this.#rows) {
      if (tabs.some((t) => t.id === id)) continue;
      row.el.remove();
      this.#rows.delete(id);
    }
    for (const tab of tabs) {
      let row = this.#rows.get(tab.id);
      if (!row) {
        row = this.#row(tab.id);
        this.#rows.set(tab.id, row);
        this.#tabs.append(row.el);
      }
      const samples = samplesOf(tab.id);
      const highest = highestOf(tab.id);
      row.el.dataset.kind = tab.kind;
      row.kind.textContent = tab.kind;
      row.kind.className = `live-kind ${tab.kind}`;
      row.el.dataset.modules = String(tab.modules.length);
      row.el.dataset.samples = String(samples.length);
      row.el.title = tab.url;
      row.label.textContent = tab.label;
      row.modules.textContent = tab.modules.length > 0 ? tab.modules.join(', ') : 'no traced module yet';
      if (tab.last) {
        row.el.dataset.current = String(tab.last.current);
        row.el.dataset.peak = String(highest);
        // A sampled tab's sizes are estimates.
        const interval = tab.samplingIntervalBytes ?? 0;
        const about = interval > 0 ? '≈' : '';
        const sampled = interval > 0 ? ` (an estimate: the tab traces a sample, one block per ${formatSize(interval)} allocated)` : '';
        row.current.textContent = `${about}${formatSize(tab.last.current)}`;
        row.current.title = `${tab.last.current} B traced now${sampled}`;
        row.peak.textContent = `peak ${about}${formatSize(highest)}`;
        row.peak.title = `${highest} B: the highest traced size over the samples kept${sampled}`;
      } else {
        row.current.textContent = '–';
        row.peak.textContent = '';
      }
      row.chart.replaceChildren(sparkline(samples));
      row.button.disabled = tab.modules.length === 0;
      row.button.title = tab.modules.length === 0 ? `${tab.label} has no traced module yet` : `Take a snapshot of ${tab.label} now`;
    }
  }

  /** Modules sent as they are: their allocations are in no tab's numbers. Rebuilt only when they change. */
  #showUntraced(untraced: readonly LiveUntracedModule[]): void {
    const key = JSON.stringify(untraced);
    if (key === this.#untracedKey) return;
    this.#untracedKey = key;
    this.#untraced.hidden = untraced.length === 0;
    this.#untraced.replaceChildren(
      ...untraced.map((m) => h('span', { class: 'live-untraced-module', title: m.details.join('\n'), attrs: { 'data-module': m.name }, text: `${m.name}: not traced — ${m.reason}` })),
    );
  }

  /** The dev server's other snapshots, newest first, offered in a list rather than all opened. */
  setHeld(held: readonly HeldSnapshot[]): void {
    const key = JSON.stringify(held);
    if (key === this.#heldKey) return;
    this.#heldKey = key;
    this.#held.hidden = held.length === 0;
    this.#held.replaceChildren(
      h('option', { attrs: { value: '' }, text: `Open another snapshot (${held.length} on the dev server)…` }),
      ...[...held].reverse().map((x) => h('option', { attrs: { value: String(x.id) }, text: x.text })),
    );
    this.#held.value = '';
  }

  setOffer(offer: LiveOffer | null): void {
    this.#offer.hidden = offer === null;
    if (offer === null) return;
    this.#offer.textContent = offer.text;
    this.#offer.title = offer.title;
    this.#offer.disabled = offer.active;
    this.#offer.classList.toggle('active', offer.active);
  }

  #row(id: string): Row {
    const label = h('strong', { class: 'live-label' });
    const modules = h('span', { class: 'live-modules' });
    const current = h('span', { class: 'live-current' });
    const peak = h('span', { class: 'live-peak' });
    const chart = h('span', { class: 'live-chart' });
    const button = h('button', { class: 'snapshot-now small', text: 'Snapshot now', on: { click: () => this.handlers.snapshotNow(id) } });
    const kind = h('span', { class: 'live-kind' });
    const el = h(
      'div',
      { class: 'live-tab', attrs: { 'data-tab': id } },
      h('span', { class: 'live-who' }, label, h('span', { class: 'live-what' }, kind, modules)),
      h('span', { class: 'live-memory' }, current, peak),
      chart,
      button,
    );
    return { el, kind, label, modules, current, peak, chart, button };
  }
}

/**
 * Current (solid) and the highest between samples (dashed step) over the samples
 * kept, extended to now (samples are sent only when memory changes). Beyond one
 * sample per pixel, each column draws its lowest and highest current and its highest peak.
 */
function sparkline(samples: readonly LiveSample[]): SVGSVGElement {
  const root = svg('svg', { class: 'live-spark', width: CHART_W, height: CHART_H, viewBox: `0 0 ${CHART_W} ${CHART_H}`, 'aria-hidden': 'true', 'data-points': samples.length });
  if (samples.length === 0) return root;
  const t0 = samples[0].timestamp;
  const last = samples[samples.length - 1];
  const t1 = Math.max(Date.now(), last.timestamp + 1);
  let max = 1;
  for (const s of samples) max = Math.max(max, s.peak, s.current);
  const X = (t: number) => ((t - t0) / Math.max(1, t1 - t0)) * (CHART_W - 2) + 1;
  const Y = (v: number) => CHART_H - 2 - (v / max) * (CHART_H - 4);
  const columns: Array<{ x: number; lo: number; hi: number; last: number; peak: number }> = [];
  for (const s of samples) {
    const x = Math.round(X(s.timestamp));
    const c = columns[columns.length - 1];
    if (c && c.x === x) {
      c.lo = Math.min(c.lo, s.current);
      c.hi = Math.max(c.hi, s.current);
      c.last = s.current;
      c.peak = Math.max(c.peak, s.peak);
    } else columns.push({ x, lo: s.current, hi: s.current, last: s.current, peak: Math.max(s.peak, s.current) });
  }
  const f = (n: number) => n.toFixed(1);
  let current = '';
  let peak = '';
  columns.forEach((c, i) => {
    current += `${i ? 'L' : 'M'}${c.x},${f(Y(c.lo))}L${c.x},${f(Y(c.hi))}L${c.x},${f(Y(c.last))}`;
    peak += i ? `V${f(Y(c.peak))}H${c.x}` : `M${c.x},${f(Y(c.peak))}`;
  });
  current += `L${f(X(t1))},${f(Y(last.current))}`;
  peak += `V${f(Y(last.current))}H${f(X(t1))}`;
  root.append(svg('path', { class: 'spark-peak', d: peak }), svg('path', { class: 'spark-current', d: current }));
  return root;
}
