/**
 * The statistics table, virtualized: only the rows in view (plus a margin) exist
 * as elements, recycled on scroll, so 100,000 rows scroll like 100. Rows are drawn
 * from a TableModel in the order given; every string is set as text.
 */

import { packedLength, stringAt } from '../model/packed-strings.js';
import { rowLabel, rowStatus, rowText, splitLocation, type DiffStatus, type TableModel } from '../model/table.js';
import type { SortKey } from '../model/view-state.js';
import { h } from './dom.js';
import { formatCount, formatCountDiff, formatSize } from './format.js';

export const ROW_HEIGHT = 24;
const OVERSCAN = 8;

interface Column {
  id: string;
  title: string;
  sort?: SortKey;
  numeric?: boolean;
  compareOnly?: boolean;
  /** Shown when the rows carry allocation counters (TableModel.allocCount). */
  churnOnly?: boolean;
  /** Tooltip of the column's sort button. */
  about?: string;
}

const COLUMNS: Column[] = [
  { id: 'rank', title: '#', numeric: true },
  { id: 'status', title: 'Change', compareOnly: true },
  { id: 'location', title: 'Location' },
  { id: 'function', title: 'Function' },
  { id: 'size', title: 'Size', sort: 'size', numeric: true },
  { id: 'sizeDiff', title: 'Δ Size', sort: 'sizeDiff', numeric: true, compareOnly: true },
  { id: 'count', title: 'Count', sort: 'count', numeric: true },
  { id: 'countDiff', title: 'Δ Count', sort: 'countDiff', numeric: true, compareOnly: true },
  { id: 'average', title: 'Average', sort: 'average', numeric: true },
  // DevTools' comparison view: # New, # Deleted, Alloc. Size, Freed Size.
  { id: 'allocCount', title: '# Allocs', sort: 'allocCount', numeric: true, churnOnly: true, about: 'blocks allocated' },
  { id: 'freeCount', title: '# Frees', sort: 'freeCount', numeric: true, churnOnly: true, about: 'blocks freed' },
  { id: 'allocSize', title: 'Alloc size', sort: 'allocSize', numeric: true, churnOnly: true, about: 'bytes allocated' },
  { id: 'freeSize', title: 'Freed size', sort: 'freeSize', numeric: true, churnOnly: true, about: 'bytes freed' },
];

const STATUS_TEXT: Record<DiffStatus, string> = { new: 'new', grown: 'grown', shrunk: 'shrunk', freed: 'freed', same: '=' };

interface RowElements {
  row: HTMLElement;
  cells: Record<string, HTMLElement>;
  label: HTMLElement;
  /** The label's two parts: its module or directory (faint, elided first) and what tells rows apart. */
  head: HTMLElement;
  tail: HTMLElement;
  callers: HTMLElement;
}

export interface StatsTableHandlers {
  /** A row (model index) was selected, by click or keyboard. */
  select(row: number): void;
  sort(key: SortKey): void;
}

export class StatsTable {
  readonly el: HTMLElement;
  readonly viewport: HTMLElement;
  readonly #header: HTMLElement;
  readonly #spacer: HTMLElement;
  readonly #layer: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #pool: RowElements[] = [];
  #model: TableModel | undefined;
  #order: Uint32Array = new Uint32Array(0);
  #position = new Int32Array(0); // model index -> position in order
  #selected = -1; // position in #order
  #sort: SortKey = 'size';
  #headerShown = '';
  #barMax = 0;
  #frame = 0;
  #missingCallers: number[] = [];
  /**
   * The viewport's height and scroll offset as last seen (resize and scroll
   * events): reading them while drawing rows forced a layout of the whole page
   * on every new table (10-20 ms).
   */
  #height = 0;
  #scrollTop = 0;
  /** The model whose callers are being fetched (one request at a time). */
  #fetching: TableModel | undefined;

  constructor(readonly handlers: StatsTableHandlers) {
    this.#header = h('div', { class: 'table-header', attrs: { role: 'row' } });
    this.#spacer = h('div', { class: 'table-spacer' });
    this.#layer = h('div', { class: 'table-rows', attrs: { role: 'rowgroup' } });
    this.#empty = h('div', { class: 'table-empty', attrs: { hidden: true } });
    this.viewport = h(
      'div',
      {
        class: 'table-viewport',
        attrs: { tabindex: 0, role: 'grid', 'aria-label': 'Statistics', 'aria-readonly': 'true' },
        on: {
          scroll: () => {
            this.#scrollTop = this.viewport.scrollTop;
            this.#schedule();
          },
          keydown: (e) => this.#key(e),
        },
      },
      this.#spacer,
      this.#layer,
    );
    this.el = h('div', { class: 'stats-table' }, this.#header, this.viewport, this.#empty);
    this.#layer.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('.row');
      if (row?.dataset.pos !== undefined) this.#select(Number(row.dataset.pos), false);
    });
    new ResizeObserver((entries) => {
      // Layout is clean here; a table shown again (after display: none) may have lost its scroll offset.
      this.#height = entries[entries.length - 1].target.clientHeight;
      this.#scrollTop = this.viewport.scrollTop;
      this.#schedule();
    }).observe(this.viewport);
  }

  /** Shows `model` in `order`; keeps `selectedRow` (a model index) selected if it is there. */
  setModel(model: TableModel, order: Uint32Array, sort: SortKey, selectedRow: number | null, emptyText: string): void {
    const keepScroll = this.#model !== undefined && this.#model.size.length === model.size.length;
    this.#model = model;
    this.#order = order;
    this.#sort = sort;
    // Reused between models (fresh memory is slow on a VM); only its first order.length entries are read.
    if (this.#position.length < order.length) this.#position = new Int32Array(order.length);
    for (let p = 0; p < order.length; p++) this.#position[order[p]] = p;
    this.#selected = selectedRow !== null && selectedRow < order.length ? this.#position[selectedRow] : -1;
    let max = 0;
    const bars = model.compare ? model.sizeDiff! : model.size;
    for (let i = 0; i < bars.length; i++) max = Math.max(max, Math.abs(bars[i]));
    this.#barMax = max;
    this.el.classList.toggle('compare', model.compare);
    this.el.classList.toggle('by-traceback', model.keyType === 'traceback');
    this.el.classList.toggle('by-file', model.keyType === 'filename');
    const churn = model.allocCount !== undefined;
    this.el.classList.toggle('churn', churn);
    // The header shows the columns and the sort: rebuilt (new elements to lay out) only when they change.
    const header = `${model.compare}/${churn}/${sort}`;
    if (header !== this.#headerShown) {
      this.#headerShown = header;
      this.#renderHeader();
    }
    this.#spacer.style.height = `${order.length * ROW_HEIGHT}px`;
    this.viewport.setAttribute('aria-rowcount', String(order.length + 1));
    this.#empty.hidden = order.length > 0;
    this.#empty.textContent = emptyText;
    // Setting scrollTop forces a layout: only when it moves.
    if (!keepScroll && this.#scrollTop !== 0) this.viewport.scrollTop = this.#scrollTop = 0;
    this.#render();
  }

  /** The selected row's model index, or null. */
  get selectedRow(): number | null {
    return this.#selected >= 0 ? this.#order[this.#selected] : null;
  }

  /** Text of the selected row as tracemalloc prints it. */
  selectedText(): string | undefined {
    const row = this.selectedRow;
    return row === null || this.#model === undefined ? undefined : rowText(this.#model, row);
  }

  focus(): void {
    this.viewport.focus();
  }

  #renderHeader(): void {
    const compare = this.#model?.compare ?? false;
    const churn = this.#model?.allocCount !== undefined;
    this.#header.replaceChildren(
      ...COLUMNS.filter((c) => (compare || !c.compareOnly) && (churn || !c.churnOnly)).map((c) => {
        const cls = `cell col-${c.id}${c.numeric ? ' num' : ''}`;
        if (c.sort === undefined) return h('div', { class: cls, text: c.title, attrs: { role: 'columnheader' } });
        const active = this.#sort === c.sort || (!compare && c.sort === 'sizeDiff' && this.#sort === 'size');
        return h(
          'div',
          { class: cls, attrs: { role: 'columnheader', 'aria-sort': active ? 'descending' : 'none' } },
          h('button', {
            class: `sort${active ? ' active' : ''}`,
            text: active ? `${c.title} ▾` : c.title,
            title:
              c.about !== undefined
                ? compare
                  ? `${c.about} since the base (sort: largest increase first)`
                  : `${c.about} since tracing started (sort: largest first)`
                : c.sort === 'sizeDiff' || c.sort === 'countDiff'
                  ? `Sort by |${c.title}|, largest first`
                  : `Sort by ${c.title.toLowerCase()}, largest first`,
            on: { click: () => this.handlers.sort(c.sort!) },
          }),
        );
      }),
    );
  }

  #schedule(): void {
    if (this.#frame === 0) {
      this.#frame = requestAnimationFrame(() => {
        this.#frame = 0;
        this.#render();
      });
    }
  }

  #render(): void {
    const model = this.#model;
    if (model === undefined) return;
    this.#missingCallers = [];
    const n = this.#order.length;
    if (this.#height === 0) this.#height = this.viewport.clientHeight; // before the first resize event
    const height = this.#height || 600;
    const top = this.#scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(n, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const visible = Math.max(0, last - first);
    while (this.#pool.length < visible) this.#pool.push(this.#newRow());
    this.#layer.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    for (let k = 0; k < this.#pool.length; k++) {
      const r = this.#pool[k];
      if (k >= visible) {
        if (r.row.parentNode) r.row.remove();
        continue;
      }
      if (!r.row.parentNode) this.#layer.append(r.row);
      this.#fill(r, first + k);
    }
    this.#fetchCallers(model);
    const sel = this.#selected;
    const id = sel >= first && sel < last ? `row-${sel}` : '';
    if (id) this.viewport.setAttribute('aria-activedescendant', id);
    else this.viewport.removeAttribute('aria-activedescendant');
  }

  #newRow(): RowElements {
    const cells: Record<string, HTMLElement> = {};
    const head = h('span', { class: 'loc-head' });
    const tail = h('span', { class: 'loc-tail' });
    const label = h('span', { class: 'label' }, head, tail);
    const callers = h('span', { class: 'callers' });
    const row = h('div', { class: 'row', attrs: { role: 'row' } });
    for (const c of COLUMNS) {
      const cell = h('div', { class: `cell col-${c.id}${c.numeric ? ' num' : ''}`, attrs: { role: 'gridcell' } });
      if (c.id === 'location') cell.append(label, callers);
      cells[c.id] = cell;
      row.append(cell);
    }
    return { row, cells, label, head, tail, callers };
  }

  #fill(r: RowElements, pos: number): void {
    const t = this.#model!;
    const i = this.#order[pos];
    const { row, cells } = r;
    row.id = `row-${pos}`;
    row.dataset.pos = String(pos);
    row.dataset.row = String(i);
    row.setAttribute('aria-rowindex', String(pos + 2));
    row.setAttribute('aria-selected', String(pos === this.#selected));
    row.classList.toggle('selected', pos === this.#selected);
    row.classList.toggle('odd', pos % 2 === 1);
    row.title = rowText(t, i);
    cells.rank.textContent = String(pos + 1);
    const [head, tail] = splitLocation(rowLabel(t, i));
    r.head.textContent = head;
    r.tail.textContent = tail;
    cells.function.textContent = t.functions === undefined ? '' : stringAt(t.functions, i);
    r.callers.textContent = this.#callersOf(t, i);
    const size = t.size[i];
    const count = t.count[i];
    cells.size.textContent = formatSize(size);
    cells.count.textContent = formatCount(count);
    cells.average.textContent = count > 0 ? formatSize(size / count) : '–';
    const bar = t.compare ? Math.abs(t.sizeDiff![i]) : size;
    (t.compare ? cells.sizeDiff : cells.size).style.setProperty('--share', this.#barMax > 0 ? `${(100 * bar) / this.#barMax}%` : '0%');
    if (t.compare) {
      const status = rowStatus(t, i)!;
      cells.status.textContent = STATUS_TEXT[status];
      cells.status.dataset.status = status;
      row.dataset.status = status;
      cells.sizeDiff.textContent = formatSize(t.sizeDiff![i], true);
      cells.countDiff.textContent = formatCountDiff(t.countDiff![i]);
      cells.sizeDiff.dataset.sign = sign(t.sizeDiff![i]);
      cells.countDiff.dataset.sign = sign(t.countDiff![i]);
    } else {
      delete row.dataset.status;
    }
    if (t.allocCount !== undefined) {
      const n = (x: number) => (t.compare ? formatCountDiff(x) : formatCount(x));
      cells.allocCount.textContent = n(t.allocCount[i]);
      cells.freeCount.textContent = n(t.freeCount![i]);
      cells.allocSize.textContent = formatSize(t.allocSize![i], t.compare);
      cells.freeSize.textContent = formatSize(t.freeSize![i], t.compare);
    }
  }

  /** Row i's callers text, or '' while it is being fetched (noted in #missingCallers). */
  #callersOf(t: TableModel, i: number): string {
    if (t.callers === undefined) return '';
    if (i < packedLength(t.callers)) return stringAt(t.callers, i);
    const text = t.moreCallers?.get(i);
    if (text !== undefined) return text;
    if (t.loadCallers !== undefined) this.#missingCallers.push(i);
    return '';
  }

  /** Fetches the callers of the drawn rows that lack them, then draws again (if the model is still shown). */
  #fetchCallers(t: TableModel): void {
    const rows = this.#missingCallers;
    if (rows.length === 0 || t.loadCallers === undefined || this.#fetching === t) return;
    this.#fetching = t;
    t.loadCallers(rows)
      .then((texts) => {
        rows.forEach((row, k) => t.moreCallers!.set(row, texts[k]));
      })
      .catch(() => {
        // A failed fetch leaves the callers empty; the rest of the row is drawn.
        for (const row of rows) t.moreCallers!.set(row, '');
      })
      .finally(() => {
        if (this.#fetching === t) this.#fetching = undefined;
        if (this.#model === t) this.#schedule();
      });
  }

  #select(pos: number, scroll: boolean): void {
    const n = this.#order.length;
    if (n === 0) return;
    pos = Math.max(0, Math.min(n - 1, pos));
    this.#selected = pos;
    if (scroll) {
      const top = pos * ROW_HEIGHT;
      const vp = this.viewport;
      const header = 0;
      if (top < vp.scrollTop + header) vp.scrollTop = top - header;
      else if (top + ROW_HEIGHT > vp.scrollTop + vp.clientHeight) vp.scrollTop = top + ROW_HEIGHT - vp.clientHeight;
      this.#scrollTop = vp.scrollTop;
    }
    this.#render();
    this.handlers.select(this.#order[pos]);
  }

  #key(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1);
    const at = this.#selected;
    let to: number | undefined;
    switch (e.key) {
      case 'ArrowDown':
        to = at + 1;
        break;
      case 'ArrowUp':
        to = at < 0 ? 0 : at - 1;
        break;
      case 'PageDown':
        to = at + page;
        break;
      case 'PageUp':
        to = at - page;
        break;
      case 'Home':
        to = 0;
        break;
      case 'End':
        to = this.#order.length - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    this.#select(to, true);
  }
}

function sign(n: number): string {
  return n > 0 ? '+' : n < 0 ? '-' : '0';
}
