/**
 * Sizes printed exactly as CPython's `tracemalloc._format_size` prints them.
 *
 * Python formats with `"%.1f"` / `"%.0f"`, which round the exact binary value half
 * to even: 2.5 B prints as "2 B" and 0.25 KiB as "0.2 KiB". `Number#toFixed` rounds
 * exact ties away from zero ("3", "0.3"), so ties are resolved here first. Only
 * dyadic fractions can be exact ties: x.5 at 0 digits, x.25 and x.75 at 1 digit.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * `size` bytes with a 1024-based unit: below 100 of a unit (other than B) one
 * decimal ("12.3 KiB"), below 10 × 1024 of it none ("5632 B", "2304 KiB"), and
 * TiB beyond that. `sign` adds "+" to non-negative values, for differences.
 */
export function formatSize(size: number, sign = false): string {
  let value = size;
  for (let u = 0; ; u++) {
    const unit = UNITS[u];
    if (Math.abs(value) < 100 && unit !== 'B') return `${formatFixed(value, 1, sign)} ${unit}`;
    if (Math.abs(value) < 10 * 1024 || unit === 'TiB') return `${formatFixed(value, 0, sign)} ${unit}`;
    value /= 1024;
  }
}

/** Python's `"%.Nf"` (or `"%+.Nf"` when `sign`) for N = 0 or 1. */
export function formatFixed(value: number, digits: 0 | 1, sign = false): string {
  if (Number.isNaN(value)) return sign ? '+nan' : 'nan';
  // -0 prints as "0": sizes are Python ints there, and an int zero has no sign.
  const prefix = value < 0 ? '-' : sign ? '+' : '';
  const a = Math.abs(value);
  if (a === Infinity) return `${prefix}inf`;
  return prefix + fixedHalfEven(a, digits);
}

function fixedHalfEven(a: number, digits: 0 | 1): string {
  if (a >= 1e21) return BigInt(a).toString(); // toFixed switches to exponent notation here
  const whole = Math.floor(a);
  const frac = a - whole; // exact for doubles
  if (digits === 0 && frac === 0.5) return String(whole % 2 === 0 ? whole : whole + 1);
  if (digits === 1 && frac === 0.25) return `${whole}.2`;
  if (digits === 1 && frac === 0.75) return `${whole}.8`;
  return a.toFixed(digits);
}
