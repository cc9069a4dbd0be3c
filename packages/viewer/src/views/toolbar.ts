/**
 * How the table groups, orders and filters: tracemalloc's key types with the
 * cumulative toggle, the sort, Filter globs (include / exclude, all frames), the
 * domains kept, and the frame the traces must pass through. Every change is a
 * patch of the ViewState; the controls never hold state of their own.
 */

import type { DomainSummary } from '../model/analysis.js';
import { frameRefText, parseGlobs, type KeyType, type SortKey, type ViewState } from '../model/view-state.js';
import { h } from './dom.js';
import { formatSize } from './format.js';

export interface ToolbarHandlers {
  change(patch: Partial<ViewState>): void;
}

const GROUPS: Array<[KeyType, string, string]> = [
  ['filename', 'File', 'Group by file (1)'],
  ['lineno', 'Line', 'Group by line, or call site when there is no line (2)'],
  ['traceback', 'Traceback', 'Group by whole traceback (3)'],
];

const SORTS: Array<[SortKey, string, boolean]> = [
  ['size', 'Size', false],
  ['count', 'Count', false],
  ['average', 'Average', false],
  ['sizeDiff', '|Δ Size|', true],
  ['countDiff', '|Δ Count|', true],
];

const DEBOUNCE_MS = 250;

export class Toolbar {
  readonly el: HTMLElement;
  readonly include: HTMLInputElement;
  readonly exclude: HTMLInputElement;
  readonly #groupInputs = new Map<KeyType, HTMLInputElement>();
  readonly #sortInputs = new Map<SortKey, HTMLInputElement>();
  readonly #cumulative: HTMLInputElement;
  readonly #allFrames: HTMLInputElement;
  readonly #domains: HTMLElement;
  readonly #threads: HTMLElement;
  #shownThreadsKey = '';
  readonly #focus: HTMLElement;
  #timer = 0;

  constructor(readonly handlers: ToolbarHandlers) {
    const group = h('div', { class: 'segmented', attrs: { role: 'radiogroup', 'aria-label': 'Group by' } });
    for (const [key, text, title] of GROUPS) {
      const input = h('input', { attrs: { type: 'radio', name: 'group', value: key }, on: { change: () => this.handlers.change({ keyType: key }) } });
      this.#groupInputs.set(key, input);
      group.append(h('label', { title }, input, h('span', { text })));
    }
    this.#cumulative = h('input', { attrs: { type: 'checkbox' }, on: { change: () => this.handlers.change({ cumulative: this.#cumulative.checked }) } });
    const cumulative = h('label', { class: 'check', title: 'Count each block under every file or line of its traceback (c)' }, this.#cumulative, h('span', { text: 'Cumulative' }));

    const sort = h('div', { class: 'segmented', attrs: { role: 'radiogroup', 'aria-label': 'Sort by' } });
    for (const [key, text, diff] of SORTS) {
      const input = h('input', { attrs: { type: 'radio', name: 'sort', value: key }, on: { change: () => this.handlers.change({ sort: key }) } });
      this.#sortInputs.set(key, input);
      sort.append(h('label', { class: diff ? 'diff-only' : '', title: `Sort by ${text}, largest first (s cycles)` }, input, h('span', { text })));
    }

    const globInput = (placeholder: string, label: string, field: 'include' | 'exclude') => {
      const input = h('input', {
        class: 'glob',
        attrs: { type: 'search', placeholder, 'aria-label': label, spellcheck: 'false', autocomplete: 'off' },
        on: {
          input: () => this.#debounce(),
          keydown: (e) => {
            if (e.key === 'Enter') this.#applyGlobs();
            if (e.key === 'Escape' && input.value !== '') {
              e.stopPropagation();
              input.value = '';
              this.#applyGlobs();
            }
          },
        },
      });
      input.dataset.field = field;
      // The search field's clear button fires 'search' (not in the typed event map).
      input.addEventListener('search', () => this.#applyGlobs());
      return input;
    };
    this.include = globInput('Include: *.wasm', 'Include files matching these globs (tracemalloc Filter, inclusive)', 'include');
    this.exclude = globInput('Exclude: libc*', 'Exclude files matching these globs (tracemalloc Filter, exclusive)', 'exclude');
    this.#allFrames = h('input', { attrs: { type: 'checkbox' }, on: { change: () => this.handlers.change({ allFrames: this.#allFrames.checked }) } });
    const allFrames = h('label', { class: 'check', title: 'Globs match any frame of a traceback, not only the most recent one (Filter all_frames)' }, this.#allFrames, h('span', { text: 'All frames' }));
    this.#domains = h('div', { class: 'domains', attrs: { role: 'group', 'aria-label': 'Domains' } });
    this.#threads = h('div', { class: 'domains threads', attrs: { role: 'group', 'aria-label': 'Threads' } });
    this.#focus = h('div', { class: 'focus-chip-host' });

    this.el = h(
      'section',
      { class: 'toolbar', attrs: { 'aria-label': 'Grouping and filters' } },
      h('div', { class: 'tool-group' }, h('span', { class: 'tool-label', text: 'Group by' }), group, cumulative),
      h('div', { class: 'tool-group' }, h('span', { class: 'tool-label', text: 'Sort' }), sort),
      h('div', { class: 'tool-group filters' }, h('span', { class: 'tool-label', text: 'Filter' }), this.include, this.exclude, allFrames),
      this.#domains,
      this.#threads,
      this.#focus,
    );
  }

  #shownDomains: DomainSummary[] | undefined;
  #shownDomainsKey = '';
  #shownFocus = '';

  update(state: ViewState, domains: DomainSummary[], compare: boolean, threads: Array<{ thread: number; size: number; count: number }> = []): void {
    this.#renderThreads(state, threads);
    for (const [key, input] of this.#groupInputs) input.checked = key === state.keyType;
    this.#cumulative.checked = state.cumulative;
    this.#cumulative.disabled = state.keyType === 'traceback';
    for (const [key, input] of this.#sortInputs) input.checked = key === state.sort;
    this.el.classList.toggle('compare', compare);
    this.#allFrames.checked = state.allFrames;
    if (document.activeElement !== this.include) this.include.value = state.include.join(' ');
    if (document.activeElement !== this.exclude) this.exclude.value = state.exclude.join(' ');
    this.#renderDomains(state, domains);
    const focusKey = JSON.stringify(state.focus);
    if (focusKey === this.#shownFocus) return;
    this.#shownFocus = focusKey;
    this.#focus.replaceChildren();
    if (state.focus !== null) {
      this.#focus.append(
        h(
          'span',
          { class: 'focus-chip', title: 'Only traces whose traceback passes through this frame' },
          h('span', { class: 'chip-label', text: 'Through' }),
          h('span', { class: 'chip-value', text: frameRefText(state.focus) }),
          h('button', { class: 'chip-clear', text: '×', attrs: { 'aria-label': 'Remove the frame filter' }, on: { click: () => this.handlers.change({ focus: null }) } }),
        ),
      );
    }
  }

  focusFilter(): void {
    this.include.focus();
    this.include.select();
  }

  #renderDomains(state: ViewState, domains: DomainSummary[]): void {
    // Rebuilt only when the domains or their selection change (not on every state change).
    const key = JSON.stringify(state.domains);
    if (domains === this.#shownDomains && key === this.#shownDomainsKey) return;
    this.#shownDomains = domains;
    this.#shownDomainsKey = key;
    this.#domains.replaceChildren();
    if (domains.length < 2) return;
    this.#domains.append(h('span', { class: 'tool-label', text: 'Domains' }));
    for (const d of domains) {
      const on = state.domains === null || state.domains.includes(d.id);
      const input = h('input', {
        attrs: { type: 'checkbox' },
        on: {
          change: () => {
            const all = domains.map((x) => x.id);
            const current = new Set(state.domains ?? all);
            if (input.checked) current.add(d.id);
            else current.delete(d.id);
            const next = all.filter((id) => current.has(id));
            this.handlers.change({ domains: next.length === all.length ? null : next });
          },
        },
      });
      input.checked = on;
      // In a sampled snapshot (d.traces set) the domain's totals are estimates.
      const totals = d.traces === undefined ? `${formatSize(d.size)} in ${d.count} blocks` : `≈${formatSize(d.size)} in ≈${d.count} blocks, estimated from ${d.traces} sampled traces`;
      this.#domains.append(h('label', { class: 'check domain', title: `Domain ${d.id}: ${totals}` }, input, h('span', { text: d.name })));
    }
  }

  /** A program on threads: a box per thread that allocated (as the domains' boxes). */
  #renderThreads(state: ViewState, threads: Array<{ thread: number; size: number; count: number }>): void {
    const key = JSON.stringify([threads, state.threads ?? null]);
    if (key === this.#shownThreadsKey) return;
    this.#shownThreadsKey = key;
    this.#threads.replaceChildren();
    const selected = state.threads ?? null;
    const all = threads.map((t) => t.thread);
    // Threads the selection keeps that this snapshot has none of still get a box, to be unticked.
    for (const id of selected ?? []) if (!all.includes(id)) all.push(id);
    if (all.length < 2) return;
    all.sort((a, b) => a - b);
    this.#threads.append(h('span', { class: 'tool-label', text: 'Threads' }));
    for (const id of all) {
      const t = threads.find((x) => x.thread === id);
      const input = h('input', {
        attrs: { type: 'checkbox' },
        on: {
          change: () => {
            const current = new Set(selected ?? all);
            if (input.checked) current.add(id);
            else current.delete(id);
            const next = all.filter((x) => current.has(x));
            this.handlers.change({ threads: next.length === all.length ? null : next });
          },
        },
      });
      input.checked = selected === null || selected.includes(id);
      const name = id === 0 ? 'main thread' : `thread ${id}`;
      const title = t ? `${name}: ${formatSize(t.size)} in ${t.count} blocks` : `${name}: nothing live in this snapshot`;
      this.#threads.append(h('label', { class: 'check domain thread', title, attrs: { 'data-thread': String(id) } }, input, h('span', { text: name })));
    }
  }

  #debounce(): void {
    clearTimeout(this.#timer);
    this.#timer = window.setTimeout(() => this.#applyGlobs(), DEBOUNCE_MS);
  }

  #applyGlobs(): void {
    clearTimeout(this.#timer);
    this.handlers.change({ include: parseGlobs(this.include.value), exclude: parseGlobs(this.exclude.value) });
  }
}
