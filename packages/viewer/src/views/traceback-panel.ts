/**
 * Where the selected row's (or flame graph box's) memory was allocated: its
 * heaviest tracebacks, most recent frame first, each frame with its function,
 * location and source line when the snapshot carries one. A frame is a button:
 * choosing it narrows every view to the traces that pass through it.
 */

import type { DetailModel, DetailTraceback } from '../model/analysis.js';
import { frameLocation, frameRefOf, type FrameView } from '../model/frame-view.js';
import type { FrameRef } from '../model/view-state.js';
import { h } from './dom.js';
import { formatCount, formatSize } from './format.js';

export interface TracebackPanelHandlers {
  focusFrame(ref: FrameRef): void;
  copy(text: string): void;
}

export class TracebackPanel {
  readonly el: HTMLElement;
  readonly #body: HTMLElement;
  readonly #title: HTMLElement;
  readonly #copy: HTMLButtonElement;
  #text = '';

  constructor(readonly handlers: TracebackPanelHandlers) {
    this.#title = h('h2', { class: 'panel-title', text: 'Traceback' });
    this.#copy = h('button', {
      class: 'small',
      text: 'Copy',
      title: 'Copy the row and its tracebacks as tracemalloc prints them',
      attrs: { hidden: true },
      on: { click: () => this.handlers.copy(this.#text) },
    });
    this.#body = h('div', { class: 'panel-body' });
    this.el = h('aside', { class: 'traceback-panel', attrs: { 'aria-label': 'Traceback' } }, h('div', { class: 'panel-head' }, this.#title, this.#copy), this.#body);
    this.showHint();
  }

  showHint(text = 'Select a row or a box to see where its memory was allocated.'): void {
    this.#copy.hidden = true;
    this.#title.textContent = 'Traceback';
    this.#body.replaceChildren(h('p', { class: 'hint', text }));
  }

  showLoading(): void {
    this.#body.setAttribute('aria-busy', 'true');
  }

  /** The tracebacks of a table row. */
  showDetail(detail: DetailModel, focus: FrameRef | null): void {
    this.#body.removeAttribute('aria-busy');
    this.#title.textContent = 'Traceback';
    const parts: Node[] = [h('p', { class: 'stat-line', text: detail.line })];
    if (detail.from === 'base') parts.push(h('p', { class: 'hint', text: 'Freed since the base snapshot: tracebacks as they were in the base.' }));
    // Sampled: the sizes and counts are estimates, here and in what Copy copies.
    const sampled = detail.samplingIntervalBytes === undefined ? undefined : `Sampled: one trace per ${formatSize(detail.samplingIntervalBytes)} allocated — sizes and counts are estimates.`;
    if (sampled !== undefined) parts.push(h('p', { class: 'hint sampled', text: sampled }));
    const n = detail.tracebackCount;
    if (n > 1) {
      const shown = detail.tracebacks.length;
      parts.push(h('p', { class: 'hint', text: shown < n ? `${formatCount(n)} tracebacks; the ${shown} largest:` : `${formatCount(n)} tracebacks:` }));
    }
    detail.tracebacks.forEach((tb, i) => parts.push(this.#traceback(tb, i, n > 1, focus)));
    this.#body.replaceChildren(...parts);
    this.#text = [detail.line, ...detail.tracebacks.flatMap((tb) => formatTraceback(tb)), ...(sampled === undefined ? [] : [`(${sampled})`])].join('\n');
    this.#copy.hidden = false;
  }

  /** One call path of the flame graph: frames most recent first. `estimated`: a side is sampled. */
  showPath(frames: FrameView[], size: number, count: number, other: number | undefined, focus: FrameRef | null, estimated = false): void {
    this.#body.removeAttribute('aria-busy');
    this.#title.textContent = 'Call path';
    const tb: DetailTraceback = { size, count, totalNframe: frames.length, frames };
    const about = estimated ? '≈' : '';
    const line =
      other === undefined
        ? `${about}${formatSize(size)} in ${about}${formatCount(count)} blocks`
        : `${about}${formatSize(size)} (${formatSize(size - other, true)} since the base) in ${about}${formatCount(count)} blocks`;
    const note = estimated ? 'Sampled: sizes and counts are estimates.' : undefined;
    this.#body.replaceChildren(h('p', { class: 'stat-line', text: line }), note === undefined ? '' : h('p', { class: 'hint sampled', text: note }), this.#traceback(tb, 0, false, focus));
    this.#text = [line, ...formatTraceback(tb), ...(note === undefined ? [] : [`(${note})`])].join('\n');
    this.#copy.hidden = frames.length === 0;
  }

  #traceback(tb: DetailTraceback, index: number, numbered: boolean, focus: FrameRef | null): HTMLElement {
    const head = numbered ? h('div', { class: 'tb-head', text: `#${index + 1}  ${formatSize(tb.size)} in ${formatCount(tb.count)} blocks` }) : null;
    const list = h('ol', { class: 'frames' });
    for (const f of tb.frames) list.append(h('li', {}, this.#frame(f, focus)));
    const truncated = tb.totalNframe > tb.frames.length ? h('p', { class: 'hint', text: `${tb.totalNframe - tb.frames.length} older frames not recorded (traceback limit).` }) : null;
    const c = tb.churn;
    const churn =
      c === undefined
        ? null
        : h('p', { class: 'hint churn', text: `Since tracing started: ${formatCount(c.allocCount)} blocks allocated (${formatSize(c.allocSize)}), ${formatCount(c.freeCount)} freed (${formatSize(c.freeSize)}).` });
    return h('section', { class: 'tb' }, head, churn, list, truncated);
  }

  #frame(f: FrameView, focus: FrameRef | null): HTMLElement {
    const ref = frameRefOf(f);
    const focused = focus !== null && sameFrame(ref, focus);
    const button = h(
      'button',
      {
        class: `frame${focused ? ' focused' : ''}`,
        title: focused ? 'Traces are filtered to this frame' : 'Show only the traces that pass through this frame',
        on: { click: () => this.handlers.focusFrame(ref) },
      },
      h('span', { class: 'fn', text: f.function ?? f.text }),
      h('span', { class: 'loc', text: frameLocation(f) }),
      f.source !== undefined ? h('code', { class: 'src', text: f.source.trim() }) : null,
    );
    return button;
  }
}

/** CPython's Traceback.format, most recent first, with the source when known. */
export function formatTraceback(tb: DetailTraceback): string[] {
  const lines = [`${formatSize(tb.size)} in ${tb.count} blocks`];
  for (const f of tb.frames) {
    lines.push(`  File "${f.filename}", ${f.lineno > 0 || f.offset === undefined ? `line ${f.lineno}` : `offset 0x${f.offset.toString(16)}`}${f.function !== undefined ? `, in ${f.function}` : ''}`);
    if (f.source !== undefined && f.source.trim() !== '') lines.push(`    ${f.source.trim()}`);
  }
  return lines;
}

function sameFrame(a: FrameRef, b: FrameRef): boolean {
  if (a.filename !== b.filename || a.lineno !== b.lineno) return false;
  return a.lineno > 0 || (a.function === b.function && a.offset === b.offset);
}
