/**
 * The page's top bar: which snapshot is shown and which one it is compared with,
 * opening more files, exporting the current view, the theme and the shortcuts.
 */

import { h } from './dom.js';
import type { SnapshotLabel } from './snapshot-label.js';

export type Theme = 'auto' | 'light' | 'dark';

export interface HeaderHandlers {
  select(index: number): void;
  compare(index: number | null): void;
  open(): void;
  exportJson(): void;
  exportPprof(): void;
  theme(): void;
  help(): void;
}

export class Header {
  readonly el: HTMLElement;
  readonly snapshotSelect: HTMLSelectElement;
  readonly baseSelect: HTMLSelectElement;
  readonly #snapshotGroup: HTMLElement;
  readonly #exports: HTMLElement;
  readonly #themeButton: HTMLButtonElement;

  constructor(readonly handlers: HeaderHandlers) {
    this.snapshotSelect = h('select', { attrs: { 'aria-label': 'Snapshot' }, on: { change: () => this.handlers.select(Number(this.snapshotSelect.value)) } });
    this.baseSelect = h('select', {
      attrs: { 'aria-label': 'Compare with' },
      on: { change: () => this.handlers.compare(this.baseSelect.value === '' ? null : Number(this.baseSelect.value)) },
    });
    this.#snapshotGroup = h(
      'div',
      { class: 'snapshot-pickers' },
      h('label', {}, h('span', { class: 'tool-label', text: 'Snapshot' }), this.snapshotSelect),
      h('label', {}, h('span', { class: 'tool-label', text: 'Compare with' }), this.baseSelect),
    );
    this.#exports = h(
      'div',
      { class: 'exports', attrs: { role: 'group', 'aria-label': 'Export the current view' } },
      h('button', { text: 'JSON', title: 'Export the table as it is shown (grouping, filters, order) as JSON', on: { click: () => this.handlers.exportJson() } }),
      h('button', { text: 'pprof', title: 'Export the selected traces as a gzipped pprof heap profile (go tool pprof, speedscope)', on: { click: () => this.handlers.exportPprof() } }),
    );
    this.#themeButton = h('button', { class: 'icon', on: { click: () => this.handlers.theme() } });
    this.el = h(
      'header',
      { class: 'app-header' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', attrs: { 'aria-hidden': 'true' } }), h('span', { text: 'wasm-tracemalloc' })),
      this.#snapshotGroup,
      h('span', { class: 'spacer' }),
      h('button', { text: 'Open…', title: 'Open snapshot files (o)', on: { click: () => this.handlers.open() } }),
      h('span', { class: 'tool-label export-label', text: 'Export' }),
      this.#exports,
      this.#themeButton,
      h('button', { class: 'icon', text: '?', title: 'Keyboard shortcuts (?)', attrs: { 'aria-label': 'Keyboard shortcuts' }, on: { click: () => this.handlers.help() } }),
    );
    this.setTheme('auto');
  }

  /** `snapshots`: the open snapshots' labels, in time order. */
  update(snapshots: readonly SnapshotLabel[], selected: number, base: number | null): void {
    const any = snapshots.length > 0;
    this.#snapshotGroup.hidden = !any;
    this.#exports.querySelectorAll('button').forEach((b) => (b.disabled = !any));
    const option = (s: SnapshotLabel, i: number) => h('option', { attrs: { value: i }, text: s.text });
    this.snapshotSelect.replaceChildren(...snapshots.map(option));
    this.snapshotSelect.value = String(selected);
    this.baseSelect.replaceChildren(h('option', { attrs: { value: '' }, text: 'none' }), ...snapshots.map(option));
    for (const o of this.baseSelect.options) if (o.value === String(selected)) o.disabled = true;
    this.baseSelect.value = base === null ? '' : String(base);
  }

  setTheme(theme: Theme): void {
    this.#themeButton.textContent = theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐';
    this.#themeButton.title = `Theme: ${theme} (click to change)`;
    this.#themeButton.setAttribute('aria-label', `Theme: ${theme}`);
  }
}
