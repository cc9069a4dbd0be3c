/**
 * The plugin's own small page, `/__wasm-tracemalloc/live/` (and `/__wasm-tracemalloc/`
 * when the viewer is not built): the traced tabs with their memory, a "Take snapshot"
 * button per tab, and the snapshots received, each with links that open it (or its
 * diff with the tab's previous one) in the viewer. Rendering only: the state is the
 * server's, as the LiveChannel reports it.
 */

import { formatSize } from '@wasm-tracemalloc/runtime/model';
import { viewerUrl, type LiveChannel, type MemorySample, type ServerMessage, type SnapshotInfo, type TabInfo } from '../protocol.js';

export interface LivePageOptions {
  /** Where the viewer is, or undefined when it is not built (then files are offered for download). */
  viewer?: string;
}

/** Samples kept per tab for the sparkline (2 minutes at 4 per second). */
const SPARK_SAMPLES = 480;

export function mountLivePage(root: HTMLElement, channel: LiveChannel, options: LivePageOptions): void {
  const tabs = new Map<string, TabInfo>();
  const samples = new Map<string, MemorySample[]>();
  const snapshots: SnapshotInfo[] = [];

  const tabList = el('div', { class: 'tabs' });
  const snapshotList = el('ol', { class: 'snapshots', reversed: '' });
  const status = el('p', { class: 'status', role: 'status' }, 'Connecting to the dev server…');
  root.replaceChildren(
    el('section', {}, el('h2', {}, 'Traced tabs'), status, tabList),
    el('section', {}, el('h2', {}, 'Snapshots'), snapshotList),
  );

  // Rows are kept per tab and per snapshot and updated in place: samples arrive four
  // times a second, and a button must not be replaced under the pointer.
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
        break;
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
        samples.set(message.tab, list.slice(-SPARK_SAMPLES));
        const tab = tabs.get(message.tab);
        if (tab) tab.last = message.samples.at(-1);
        break;
      }
      case 'snapshot':
        snapshots.push(message.snapshot);
        break;
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
  const spark = el('span', { class: 'spark-box' });
  const button = el('button', { class: 'take-snapshot', type: 'button' }, 'Take snapshot');
  button.addEventListener('click', () => channel.takeSnapshot(tab.id));
  const row = el(
    'div',
    { class: 'tab', 'data-tab': tab.id, 'data-kind': tab.kind },
    el('div', { class: 'who' }, el('span', { class: `kind ${tab.kind}` }, tab.kind), label, modules),
    el('div', { class: 'memory' }, current, peak),
    spark,
    button,
  );
  return {
    el: row,
    update(t, list) {
      label.textContent = t.label;
      modules.textContent = t.modules.length ? t.modules.join(', ') : 'no traced module yet';
      current.textContent = t.last ? formatSize(t.last.current) : '–';
      peak.textContent = t.last ? `peak ${formatSize(t.last.peak)}` : '';
      button.title = `Snapshot ${t.label} now`;
      button.toggleAttribute('disabled', t.modules.length === 0);
      row.dataset.modules = String(t.modules.length);
      spark.replaceChildren(sparkline(list));
    },
  };
}

function snapshotRow(s: SnapshotInfo, previous: SnapshotInfo | undefined, viewer: boolean): HTMLElement {
  const links: HTMLElement[] = [];
  if (viewer) {
    links.push(el('a', { class: 'open', href: viewerUrl(s) }, 'Open'));
    if (previous) links.push(el('a', { class: 'compare', href: viewerUrl(s, previous), title: `${s.name} compared with ${previous.name}` }, `Compare with #${previous.id}`));
  }
  links.push(el('a', { class: 'download', href: s.url, download: `${s.name.replace(/[^\w.-]+/g, '_')}.wtmsnap` }, 'Download'));
  return el(
    'li',
    { class: 'snapshot', 'data-id': String(s.id), 'data-tab': s.tab },
    el('span', { class: 'id' }, `#${s.id}`),
    el('span', { class: 'name' }, s.name),
    el('span', { class: 'when' }, new Date(s.timestamp).toLocaleTimeString()),
    el('span', { class: 'size' }, `${formatSize(s.current)} traced`),
    el('span', { class: 'links' }, ...links),
  );
}

/** Current traced memory over the last samples, as a small SVG polyline. */
function sparkline(samples: MemorySample[]): SVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 120 28');
  svg.setAttribute('aria-hidden', 'true');
  if (samples.length === 0) return svg;
  // Samples are sent on change only: memory has stayed at the last one until now.
  const last = samples.at(-1)!;
  const list = [...samples, { ...last, timestamp: Math.max(Date.now(), last.timestamp + 1) }];
  const t0 = list[0].timestamp;
  const span = Math.max(1, list.at(-1)!.timestamp - t0);
  const max = Math.max(1, ...list.map((s) => s.peak));
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', list.map((s) => `${(((s.timestamp - t0) / span) * 120).toFixed(1)},${(27 - (s.current / max) * 26).toFixed(1)}`).join(' '));
  svg.append(line);
  return svg;
}

function el(tag: string, attrs: Record<string, string>, ...children: Array<Node | string>): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}
