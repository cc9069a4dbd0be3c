/**
 * The snapshot's counters, as tracemalloc's module functions report them:
 * current and peak traced memory, blocks, tracebacks, the tracer's own memory, and
 * what went wrong (lost traces, frees of untraced blocks, double frees). When
 * comparing, each number shows its change since the base.
 *
 * A sampled snapshot (one trace per so many bytes allocated) is said to be one
 * by a notice above the cards, and its cards say which numbers are estimates
 * ("≈") and which are not measured while sampling ("–").
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
  /**
   * In a sampled snapshot: the value is an estimate ("≈", the title says of
   * what), is what it was with another title, or is not measured ("–").
   */
  sampled?: { kind: 'estimate' | 'note' | 'unmeasured'; title: (s: SnapshotSummary) => string };
}

const per = (interval: number) => `one trace per ${formatSize(interval)} allocated`;
const estimated = (title: string) => (s: SnapshotSummary) => `${title}: an estimate, the snapshot is sampled (${per(s.samplingIntervalBytes)})`;
const UNMEASURED = 'Not detected while sampling: most blocks, freed or not, were never traced';

const CARDS: Card[] = [
  {
    label: 'Current',
    title: 'Traced memory when the snapshot was taken (getTracedMemory()[0])',
    value: (s) => num(s.meta.current) ?? s.size,
    bytes: true,
    sampled: { kind: 'estimate', title: estimated('Traced memory when the snapshot was taken (getTracedMemory()[0])') },
  },
  { label: 'Peak', title: 'Peak traced memory (getTracedMemory()[1])', value: (s) => num(s.meta.peak), bytes: true, sampled: { kind: 'estimate', title: estimated('Peak traced memory (getTracedMemory()[1])') } },
  {
    label: 'Blocks',
    title: 'Live traced blocks (traces) in the snapshot',
    value: (s) => s.blocks,
    sampled: {
      kind: 'estimate',
      title: (s) => `Live blocks, estimated from ${formatCount(s.traces)} sampled ${s.traces === 1 ? 'trace' : 'traces'} (${per(s.samplingIntervalBytes)}): each counts as the blocks it stands for`,
    },
  },
  {
    label: 'Tracebacks',
    title: 'Distinct tracebacks (allocation sites, or call paths with nframe > 1)',
    value: (s) => s.tracebacks,
    sampled: { kind: 'note', title: () => 'Distinct tracebacks of the sampled traces (allocation sites, or call paths with nframe > 1): a site no trace was sampled at is not among them' },
  },
  { label: 'Tracer memory', title: 'Memory the tracer itself uses (getTracemallocMemory())', value: (s) => num(s.meta.tracerBytes), bytes: true },
  { label: 'Lost traces', title: 'Allocations that could not be recorded (the tracer ran out of memory)', value: (s) => num(s.meta.lostTraces), warn: true },
  {
    label: 'Untraced frees',
    title: 'Frees of blocks the tracer never saw (allocated before start(), or a lost trace)',
    value: (s) => num(s.meta.untracedFrees),
    warn: true,
    sampled: { kind: 'unmeasured', title: () => `Frees of blocks the tracer never saw. ${UNMEASURED}` },
  },
  {
    label: 'Double frees',
    title: 'Frees of blocks already freed',
    value: (s) => num(s.meta.doubleFrees),
    warn: true,
    sampled: { kind: 'unmeasured', title: () => `Frees of blocks already freed. ${UNMEASURED}` },
  },
];

/** One card as drawn: what summaryCards computes from the summaries. */
export interface CardView {
  label: string;
  title: string;
  /** The value as shown: "≈" before an estimate, "–" when unknown. */
  text: string;
  /** The change since the base, or '' (none, or no base). */
  diff: string;
  up: boolean;
  warn: boolean;
}

/** The cards of `snapshot`, with their changes since `base` when comparing. */
export function summaryCards(snapshot: SnapshotSummary, base: SnapshotSummary | undefined): CardView[] {
  return CARDS.map((c) => {
    const v = valueOf(c, snapshot);
    const b = base === undefined ? undefined : valueOf(c, base);
    const sampled = snapshot.samplingIntervalBytes > 0 ? c.sampled : undefined;
    const shown = v === undefined ? '–' : c.bytes ? formatSize(v) : formatCount(v);
    const diff = v !== undefined && b !== undefined && v !== b ? (c.bytes ? formatSize(v - b, true) : formatCountDiff(v - b)) : '';
    return {
      label: c.label,
      title: sampled?.title(snapshot) ?? c.title,
      text: sampled?.kind === 'estimate' && v !== undefined ? `≈${shown}` : shown,
      diff,
      up: diff !== '' && v! > b!,
      warn: c.warn === true && v !== undefined && v > 0,
    };
  });
}

/**
 * What the page says about sampling, or undefined when every number is exact
 * (no sampled snapshot among the one shown and its base).
 */
export function samplingNotice(snapshot: SnapshotSummary, base: SnapshotSummary | undefined): string | undefined {
  const s = snapshot.samplingIntervalBytes;
  const b = base?.samplingIntervalBytes ?? 0;
  if (s === 0 && b === 0) return undefined;
  if (base === undefined) return `Sampled: ${per(s)} — sizes and counts are estimates`;
  if (s > 0 && b > 0) {
    const where = s === b ? `${per(s)} in both snapshots` : `${per(s)} in this snapshot, one per ${formatSize(b)} in the base`;
    return `Sampled: ${where} — sizes, counts and their differences are estimates`;
  }
  if (s > 0) return `Sampled: ${per(s)} in this snapshot; the base is exact — this snapshot's sizes and counts, and the differences, are estimates`;
  return `Sampled: ${per(b)} in the base; this snapshot is exact — the base's sizes and counts, and the differences, are estimates`;
}

export class Summary {
  readonly #cards = h('section', { class: 'summary', attrs: { 'aria-label': 'Summary' } });
  readonly #notice = h('p', { class: 'sampling-notice', attrs: { role: 'note' } });
  /** The notice (only while a sampled snapshot is shown) above the cards. */
  readonly el = h('div', { class: 'summary-area' }, this.#cards);

  update(snapshot: SnapshotSummary, base: SnapshotSummary | undefined): void {
    const notice = samplingNotice(snapshot, base);
    if (notice === undefined) this.#notice.remove();
    else {
      // Its first word in bold; the text as a whole is the notice.
      const head = notice.indexOf(':') + 1;
      this.#notice.replaceChildren(h('strong', { text: notice.slice(0, head) }), notice.slice(head));
      if (this.#notice.parentNode !== this.el) this.el.prepend(this.#notice);
    }
    this.#cards.replaceChildren(
      ...summaryCards(snapshot, base).map((c) =>
        h(
          'div',
          { class: `card${c.warn ? ' warn' : ''}`, title: c.title, attrs: { 'data-card': c.label } },
          h('div', { class: 'card-label', text: c.label }),
          h('div', { class: 'card-value', text: c.text }),
          c.diff ? h('div', { class: `card-diff ${c.up ? 'up' : 'down'}`, text: c.diff }) : null,
        ),
      ),
    );
  }
}

/** A card's value, or undefined when unknown (or not measured in a sampled snapshot). */
function valueOf(c: Card, s: SnapshotSummary): number | undefined {
  if (s.samplingIntervalBytes > 0 && c.sampled?.kind === 'unmeasured') return undefined;
  return c.value(s);
}

function num(v: number | string | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
