/**
 * The snapshot's counters, as tracemalloc's module functions report them:
 * current and peak traced memory, blocks, tracebacks, the tracer's own memory, and
 * what went wrong (lost traces, frees of untraced blocks, double frees). When
 * comparing, each number shows its change since the base.
 */

import type { SnapshotSummary } from '../model/analysis.js';
import { h } from './dom.js';
import { formatCount, formatCountDiff, formatSize } from './format.js';

interface Card {
  label: string;
  title: string;
  value: (s: SnapshotSummary) => number | undefined;
  bytes?: boolean;
  /** A non-zero value is a problem worth a colour. */
  warn?: boolean;
}

const CARDS: Card[] = [
  { label: 'Current', title: 'Traced memory when the snapshot was taken (getTracedMemory()[0])', value: (s) => num(s.meta.current) ?? s.size, bytes: true },
  { label: 'Peak', title: 'Peak traced memory (getTracedMemory()[1])', value: (s) => num(s.meta.peak), bytes: true },
  { label: 'Blocks', title: 'Live traced blocks (traces) in the snapshot', value: (s) => s.traces },
  { label: 'Tracebacks', title: 'Distinct tracebacks (allocation sites, or call paths with nframe > 1)', value: (s) => s.tracebacks },
  { label: 'Tracer memory', title: 'Memory the tracer itself uses (getTracemallocMemory())', value: (s) => num(s.meta.tracerBytes), bytes: true },
  { label: 'Lost traces', title: 'Allocations that could not be recorded (the tracer ran out of memory)', value: (s) => num(s.meta.lostTraces), warn: true },
  { label: 'Untraced frees', title: 'Frees of blocks the tracer never saw (allocated before start(), or a lost trace)', value: (s) => num(s.meta.untracedFrees), warn: true },
  { label: 'Double frees', title: 'Frees of blocks already freed', value: (s) => num(s.meta.doubleFrees), warn: true },
];

export class Summary {
  readonly el = h('section', { class: 'summary', attrs: { 'aria-label': 'Summary' } });

  update(snapshot: SnapshotSummary, base: SnapshotSummary | undefined): void {
    this.el.replaceChildren(
      ...CARDS.map((c) => {
        const v = c.value(snapshot);
        const b = base === undefined ? undefined : c.value(base);
        const text = v === undefined ? '–' : c.bytes ? formatSize(v) : formatCount(v);
        const diff = v !== undefined && b !== undefined && v !== b ? (c.bytes ? formatSize(v - b, true) : formatCountDiff(v - b)) : '';
        const warn = c.warn === true && v !== undefined && v > 0;
        return h(
          'div',
          { class: `card${warn ? ' warn' : ''}`, title: c.title, attrs: { 'data-card': c.label } },
          h('div', { class: 'card-label', text: c.label }),
          h('div', { class: 'card-value', text }),
          diff ? h('div', { class: `card-diff ${v! > b! ? 'up' : 'down'}`, text: diff }) : null,
        );
      }),
    );
  }
}

function num(v: number | string | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
