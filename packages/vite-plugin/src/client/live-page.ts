/**
 * The plugin's own small page, `/__wasm-tracemalloc/live/` (and `/__wasm-tracemalloc/`
 * when the viewer is not built): the traced tabs with their memory, a "Take snapshot"
 * button per tab, the modules the dev server sent untraced (and why), and the
 * snapshots received, each with links that open it (or its diff with the tab's
 * previous one) in the viewer. Rendering only: the state is the server's, as the
 * LiveChannel reports it.
 */

import { formatSize } from '@wasm-tracemalloc/runtime/model';
import { SAMPLE_HISTORY, snapshotLabel, snapshotLabelParts, viewerUrl, type LiveChannel, type MemorySample, type ServerMessage, type SnapshotInfo, type TabInfo, type UntracedModule } from '../protocol.js';

export interface LivePageOptions {
  /** Where the viewer is, or undefined when it is not built (then files are offered for download). */
  viewer?: string;
}


export function mountLivePage(root: HTMLElement, channel: LiveChannel, options: LivePageOptions): void {
  const tabs = new Map<string, TabInfo>();
  const samples = new Map<string, MemorySample[]>();
  const snapshots: SnapshotInfo[] = [];

  const tabList = el('div', { class: 'tabs' });
  const snapshotList = el('ol', { class: 'snapshots', reversed: '' });
  const status = el('p', { class: 'status', role: 'status' }, 'Connecting to the dev server…');
  const problems = el('ul', { class: 'problems', role: 'alert' });
  // Modules the dev server sends as they are: their allocations are in no tab's numbers.
  const untracedList = el('ul', { class: 'untraced' });
  const untraced = new Map<string, HTMLElement>();
  const showUntraced = (m: UntracedModule) => {
    const row = el('li', { class: 'untraced-module', 'data-module': m.name, title: m.details.join('\n') }, `${m.name}: not traced — ${m.reason}`);
    const known = untraced.get(m.name);
    if (known) known.replaceWith(row);
    else untracedList.append(row);
    untraced.set(m.name, row);
  };
  root.replaceChildren(
    el('section', {}, el('h2', {}, 'Traced tabs'), status, problems, untracedList, tabList),
    el('section', {}, el('h2', {}, 'Snapshots'), snapshotList),
  );

  // Rows are kept per tab and per snapshot and updated in place: samples arrive twice
  // a second, and a button must not be replaced under the pointer.
  const tabRows = new Map<string, TabRow>();
  const snapshotRows = new Map<number, HTMLElement>();

  const render = () => {
    status.textContent = tabs.size === 0 ? 'No traced page is open. Open the app in a tab: it appears here.' : '';
    for (const [id, row] of tabRows) {
      if (!tabs.has(id)) {
        row.el.remove();
        tabRows.delete(id);
      }
    }
    for (const tab of tabs.values()) {
      let row = tabRows.get(tab.id);
      if (!row) {
        row = tabRow(tab, channel);
        tabRows.set(tab.id, row);
        tabList.append(row.el);
      }
      row.update(tab, samples.get(tab.id) ?? []);
    }
    const previous = new Map<string, SnapshotInfo>();
    for (const s of snapshots) {
      if (!snapshotRows.has(s.id)) {
        const row = snapshotRow(s, previous.get(s.tab), options.viewer !== undefined);
        snapshotRows.set(s.id, row);
        snapshotList.prepend(row);
      }
      previous.set(s.tab, s);
    }
    empty.hidden = snapshots.length > 0;
  };
  const empty = el('li', { class: 'none' }, 'None yet: press “Take snapshot” above, or call takeSnapshot() in the app.');
  snapshotList.append(empty);

  channel.subscribe((message: ServerMessage) => {
    switch (message.type) {
      case 'state':
        tabs.clear();
        for (const t of message.tabs) tabs.set(t.id, t);
        snapshots.splice(0, snapshots.length, ...message.snapshots);
        for (const row of snapshotRows.values()) row.remove();
        snapshotRows.clear();
        samples.clear();
        for (const [id, list] of Object.entries(message.samples ?? {})) if (Array.isArray(list)) samples.set(id, list.slice(-SAMPLE_HISTORY));
        for (const m of message.untraced ?? []) showUntraced(m);
        break;
      case 'untraced':
        showUntraced(message.module);
        return;
      case 'tab':
        tabs.set(message.tab.id, message.tab);
        break;
      case 'tab-closed':
        tabs.delete(message.tab);
        samples.delete(message.tab);
        break;
      case 'samples': {
        const list = samples.get(message.tab) ?? [];
        list.push(...message.samples);
        if (list.length > SAMPLE_HISTORY) list.splice(0, list.length - SAMPLE_HISTORY);
        samples.set(message.tab, list);
        const tab = tabs.get(message.tab);
        if (tab) tab.last = message.samples.at(-1);
        break;
      }
      case 'snapshot':
        snapshots.push(message.snapshot);
        break;
      case 'error':
        // An upload's error concerns the tab that sent it (which logs it); others are everyone's.
        if (message.upload === undefined) problems.prepend(el('li', { class: 'problem' }, message.message));
        return;
      default:
        return;
    }
    render();
  });
}

interface TabRow {
  el: HTMLElement;
  update(tab: TabInfo, samples: MemorySample[]): void;
}

function tabRow(tab: TabInfo, channel: LiveChannel): TabRow {
  const label = el('strong', {});
  const modules = el('span', { class: 'modules' });
  const current = el('span', { class: 'current' });
  const peak = el('span', { class: 'peak' });
  const sampled = el('span', { class: 'sampled' });
  const chart = el('span', { class: 'chart-box' });
  const button = el('button', { class: 'take-snapshot', type: 'button' }, 'Take snapshot');
  button.addEventListener('click', () => channel.takeSnapshot(tab.id));
  const row = el(
    'div',
    { class: 'tab', 'data-tab': tab.id, 'data-kind': tab.kind },
    el('div', { class: 'who' }, el('span', { class: `kind ${tab.kind}` }, tab.kind), label, modules),
    el('div', { class: 'memory' }, current, peak, sampled),
    chart,
    button,
  );
  return {
    el: row,
    update(t, list) {
      label.textContent = t.label;
      modules.textContent = t.modules.length ? t.modules.join(', ') : 'no traced module yet';
      // The highest of the samples shown: exact, since each sample's peak is the highest since the one before.
      const highest = list.reduce((m, s) => Math.max(m, s.peak), t.last?.peak ?? 0);
      // A sampled tab's numbers are estimates (start()'s samplingIntervalBytes).
      const interval = t.samplingIntervalBytes ?? 0;
      const about = interval > 0 ? '≈' : '';
      current.textContent = t.last ? `${about}${formatSize(t.last.current)}` : '–';
      peak.textContent = t.last ? `peak ${about}${formatSize(highest)}` : '';
      sampled.textContent = interval > 0 ? `sampled, one per ${formatSize(interval)}` : '';
      sampled.title = interval > 0 ? `Traced as a sample, one block per ${formatSize(interval)} allocated on average: sizes are estimates` : '';
      peak.title = 'The highest traced size over the samples shown';
      button.title = `Snapshot ${t.label} now`;
      button.toggleAttribute('disabled', t.modules.length === 0);
      row.dataset.modules = String(t.modules.length);
      row.dataset.samples = String(list.length);
      if (t.last) {
        row.dataset.current = String(t.last.current);
        row.dataset.peak = String(highest);
      }
      chart.replaceChildren(memoryChart(list));
    },
  };
}

/**
 * One snapshot, by the label the viewer gives it too ("#7 · my app · 20:40:49 ·
 * 80.9 KiB"), with links to it, and to its diff with its tab's previous one, in the viewer.
 */
function snapshotRow(s: SnapshotInfo, previous: SnapshotInfo | undefined, viewer: boolean): HTMLElement {
  const links: HTMLElement[] = [];
  if (viewer) {
    links.push(el('a', { class: 'open', href: viewerUrl(s) }, 'Open'));
    if (previous) links.push(el('a', { class: 'compare', href: viewerUrl(s, previous), title: `What changed between #${previous.id} and #${s.id}, in the viewer` }, `Compare with #${previous.id}`));
  }
  // The file keeps the dev server's name for it, which holds the number.
  const file = decodeURIComponent(s.url.slice(s.url.lastIndexOf('/') + 1));
  links.push(el('a', { class: 'download', href: s.url, download: file }, 'Download'));
  // The label's parts in columns, the whole label as the row's title.
  const p = snapshotLabelParts(s);
  return el(
    'li',
    { class: 'snapshot', 'data-id': String(s.id), 'data-tab': s.tab, title: snapshotLabel(s) },
    el('span', { class: 'id' }, p.ref),
    el('span', { class: 'name' }, p.name),
    el('span', { class: 'when' }, p.time),
    el('span', { class: 'size' }, p.size),
    el('span', { class: 'links' }, ...links),
  );
}

const CHART_W = 240;
const CHART_H = 44;

/**
 * Traced memory over the samples kept: current (solid) and, as a step, the highest
 * size between two samples (dashed), with the largest value written at the top
 * left. Samples are sent only when memory changed, so the last one holds until now.
 * Beyond one sample per pixel, each pixel column draws its lowest and highest current
 * and its highest peak.
 */
function memoryChart(samples: MemorySample[]): SVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const node = (tag: string, attrs: Record<string, string>, text?: string) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svg = node('svg', { class: 'chart', viewBox: `0 0 ${CHART_W} ${CHART_H}`, role: 'img', 'data-points': String(samples.length) });
  if (samples.length === 0) {
    svg.setAttribute('aria-label', 'No samples yet');
    return svg;
  }
  const last = samples[samples.length - 1];
  const t0 = samples[0].timestamp;
  const t1 = Math.max(Date.now(), last.timestamp + 1);
  const max = Math.max(1, ...samples.map((s) => s.peak));
  const X = (t: number) => ((t - t0) / Math.max(1, t1 - t0)) * (CHART_W - 2) + 1;
  const Y = (v: number) => CHART_H - 2 - (v / max) * (CHART_H - 14);
  // Pixel columns: lowest, highest and last current, highest peak.
  const columns: Array<{ x: number; lo: number; hi: number; last: number; peak: number }> = [];
  for (const s of samples) {
    const x = Math.round(X(s.timestamp));
    const c = columns[columns.length - 1];
    if (c && c.x === x) {
      c.lo = Math.min(c.lo, s.current);
      c.hi = Math.max(c.hi, s.current);
      c.last = s.current;
      c.peak = Math.max(c.peak, s.peak);
    } else columns.push({ x, lo: s.current, hi: s.current, last: s.current, peak: s.peak });
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
  svg.setAttribute('aria-label', `Traced memory over ${((t1 - t0) / 1000).toFixed(0)} s: now ${formatSize(last.current)}, highest ${formatSize(max)}`);
  svg.append(
    node('text', { class: 'max', x: '2', y: '9' }, formatSize(max)),
    node('path', { class: 'peak', d: peak }),
    node('path', { class: 'current', d: current }),
  );
  return svg;
}

function el(tag: string, attrs: Record<string, string>, ...children: Array<Node | string>): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}
