/**
 * Leak suspects: the sites that grew in every interval between the session's
 * snapshots, largest growth first, each with a sparkline of its size at every
 * snapshot (model/leaks.ts computes them). At most LEAK_LIMIT rows: a plain table.
 */

import type { LeakModel, LeakSuspect } from '../model/leaks.js';
import { h, svg } from './dom.js';
import { formatCount, formatSize } from './format.js';
import { splitLocation } from '../model/table.js';

export interface LeakViewHandlers {
  /** A suspect was selected: explain its row of the last snapshot. */
  select(suspect: LeakSuspect): void;
}

const SPARK_W = 120;
const SPARK_H = 20;

export class LeakView {
  readonly el: HTMLElement;
  readonly #note: HTMLElement;
  readonly #body: HTMLElement;
  #selected = -1;
  #model: LeakModel | undefined;

  constructor(readonly handlers: LeakViewHandlers) {
    this.#note = h('p', { class: 'leaks-note' });
    this.#body = h('div', { class: 'leaks-rows', attrs: { role: 'rowgroup' } });
    const head = h(
      'div',
      { class: 'leaks-header', attrs: { role: 'row' } },
      ...['#', 'Location', 'Function', 'Growth', 'Now', 'Blocks', 'At each snapshot'].map((t, i) =>
        h('div', { class: `cell${i === 0 || (i >= 3 && i <= 5) ? ' num' : ''}`, attrs: { role: 'columnheader' }, text: t }),
      ),
    );
    this.el = h('div', { class: 'leak-view' }, this.#note, h('div', { class: 'leaks-table', attrs: { role: 'grid', 'aria-label': 'Leak suspects' } }, head, this.#body));
    this.#body.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.leak-row');
      if (row?.dataset.index !== undefined) this.#select(Number(row.dataset.index));
    });
  }

  /** Says why there is nothing to rank (fewer than three snapshots of the session). */
  showHint(text: string): void {
    this.#model = undefined;
    this.#note.textContent = text;
    this.#body.replaceChildren();
  }

  setModel(model: LeakModel, range: string): void {
    this.#model = model;
    this.#selected = -1;
    const { suspects, total, sites } = model;
    this.#note.textContent =
      total === 0
        ? `No site grew in every interval over ${range} (${formatCount(sites)} sites in the last): nothing looks like a steady leak.`
        : `${formatCount(total)} of ${formatCount(sites)} sites grew in every interval over ${range}, largest growth first${total > suspects.length ? ` (the first ${suspects.length} shown)` : ''}.`;
    this.#body.replaceChildren(...suspects.map((s, i) => this.#row(s, i)));
    if (suspects.length > 0) this.#select(0);
  }

  get selected(): LeakSuspect | undefined {
    return this.#model?.suspects[this.#selected];
  }

  #select(index: number): void {
    const model = this.#model;
    if (model === undefined || index < 0 || index >= model.suspects.length) return;
    this.#selected = index;
    for (const el of this.#body.children) (el as HTMLElement).classList.toggle('selected', Number((el as HTMLElement).dataset.index) === index);
    this.handlers.select(model.suspects[index]);
  }

  #row(s: LeakSuspect, i: number): HTMLElement {
    const [head, tail] = splitLocation(s.key);
    const n = s.sizes.length;
    return h(
      'div',
      { class: `leak-row${i % 2 ? ' odd' : ''}`, title: `${s.key}: ${s.sizes.map((x) => formatSize(x)).join(' → ')}`, attrs: { role: 'row', 'data-index': i } },
      h('div', { class: 'cell num col-rank', text: String(i + 1) }),
      h('div', { class: 'cell col-location' }, h('span', { class: 'label' }, h('span', { class: 'loc-head', text: head }), h('span', { class: 'loc-tail', text: tail }))),
      h('div', { class: 'cell col-function', text: s.function ?? '' }),
      h('div', { class: 'cell num col-growth', text: formatSize(s.growth, true) }),
      h('div', { class: 'cell num col-size', text: formatSize(s.sizes[n - 1]) }),
      h('div', { class: 'cell num col-count', text: `${formatCount(s.counts[n - 1])}` }),
      h('div', { class: 'cell col-spark' }, sparkline(s.sizes)),
    );
  }
}

/** Size at each snapshot, from zero, one point per snapshot. */
function sparkline(sizes: readonly number[]): SVGSVGElement {
  const root = svg('svg', { class: 'leak-spark', width: SPARK_W, height: SPARK_H, viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, 'aria-hidden': 'true' });
  const max = Math.max(1, ...sizes);
  const X = (k: number) => 3 + (k / Math.max(1, sizes.length - 1)) * (SPARK_W - 6);
  const Y = (v: number) => SPARK_H - 3 - (v / max) * (SPARK_H - 6);
  const d = sizes.map((v, k) => `${k ? 'L' : 'M'}${X(k).toFixed(1)},${Y(v).toFixed(1)}`).join('');
  root.append(svg('path', { d }), ...sizes.map((v, k) => svg('circle', { cx: X(k).toFixed(1), cy: Y(v).toFixed(1), r: 2 })));
  return root;
}
