/** Numbers as the views print them; sizes as tracemalloc prints them. */

import { formatSize } from '@wasm-tracemalloc/runtime/model';

export { formatSize };

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** A signed count: "+1,000", "-3", "0". */
export function formatCountDiff(n: number): string {
  return n > 0 ? `+${integer.format(n)}` : integer.format(n);
}

export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0)) return '';
  const p = (100 * part) / whole;
  return p >= 10 || p === 0 ? `${p.toFixed(0)}%` : `${p.toFixed(1)}%`;
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

const timeOfDay = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: 'numeric', second: 'numeric', hour12: false });

/** A snapshot's time of day, or '' when it has no timestamp. */
export function formatTime(timestamp: number | undefined): string {
  if (timestamp === undefined) return '';
  const d = new Date(timestamp);
  // One formatter (what toLocaleTimeString('en-GB', { hour12: false }) makes on every call, at ~0.5 ms each).
  return Number.isNaN(d.getTime()) ? '' : timeOfDay.format(d);
}
