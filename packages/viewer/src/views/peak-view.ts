/**
 * What made up the peak (memray's high-water mark, heaptrack's peak contributors):
 * the blocks live when traced memory was highest, by the table's key and as a
 * flame graph weighted by their bytes then. The snapshot records this composition
 * per traceback (TracebackData.peakSize); older snapshots do not, and say so.
 */

import type { FlameModel } from '../model/flame-tree.js';
import { orderRows, type TableModel } from '../model/table.js';
import type { SortKey } from '../model/view-state.js';
import { h } from './dom.js';
import { FlameGraph, type FlameGraphHandlers } from './flame-graph.js';
import { StatsTable, type StatsTableHandlers } from './stats-table.js';

export interface PeakViewHandlers {
  table: StatsTableHandlers;
  flame: FlameGraphHandlers;
}

export class PeakView {
  readonly el: HTMLElement;
  readonly table: StatsTable;
  readonly flame: FlameGraph;
  readonly #title: HTMLElement;
  readonly #note: HTMLElement;
  readonly #split: HTMLElement;

  constructor(handlers: PeakViewHandlers) {
    this.table = new StatsTable(handlers.table);
    this.flame = new FlameGraph(handlers.flame);
    this.table.el.classList.add('peak-table');
    this.flame.el.classList.add('peak-flame');
    this.#title = h('strong', { class: 'peak-title' });
    this.#note = h('span', { class: 'peak-note' });
    this.#split = h('div', { class: 'peak-split' }, this.table.el, this.flame.el);
    this.el = h('div', { class: 'peak-view' }, h('p', { class: 'peak-header' }, this.#title, this.#note), this.#split);
  }

  /** Says why there is nothing to show: the snapshot does not record its peak's composition. */
  showEmpty(text: string): void {
    this.#title.textContent = 'No peak composition';
    this.#note.textContent = text;
    this.#split.hidden = true;
    this.el.classList.add('empty');
  }

  /** `title`: the peak's bytes and when; `note`: what the rows are. */
  setHeader(title: string, note: string): void {
    this.#title.textContent = title;
    this.#note.textContent = note;
    this.#split.hidden = false;
    this.el.classList.remove('empty');
  }

  setTable(model: TableModel, sort: SortKey, selected: number | null, emptyText: string): Uint32Array {
    const order = orderRows(model, sort);
    // The largest contributor is explained first, as the other tables do.
    this.table.setModel(model, order, sort, selected ?? (order.length > 0 ? order[0] : null), emptyText);
    return order;
  }

  setFlame(model: FlameModel, search: string, emptyText: string): void {
    this.flame.setModel(model, search, emptyText);
  }
}
