// Memory limits (the CLI's --limit-*, @wasm-tracemalloc/vitest) as pytest-memray spells them: "24 MB", "1.5 KB", "100 B". Its units
// are powers of 1024 (KB = 1024 B), as are tracemalloc's printed sizes; the IEC
// spellings (KiB, MiB) mean the same. A bare number is a count of bytes.
//
// Not the `bytes` package: it falls back to parseInt, so "24 XB" would be a 24-byte
// limit instead of an error.

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

const SIZE = /^\s*\+?(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)?\s*$/i;

/** Bytes of a limit such as "24 MB" or 4096; throws a one-line error naming the input otherwise. */
export function parseSize(limit: string | number, what = 'memory limit'): number {
  if (typeof limit === 'number') {
    if (Number.isFinite(limit) && limit >= 0) return limit;
    throw new RangeError(`${what} ${String(limit)} is not a size: give a number of bytes of at least 0, or a string such as "1 MB"`);
  }
  const m = typeof limit === 'string' ? SIZE.exec(limit) : null;
  const unit = m ? UNITS[(m[2] ?? 'b').toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new RangeError(`${what} ${JSON.stringify(limit)} is not a size: write a number and a unit (B, KB, MB, GB, TB; KiB, MiB, GiB, TiB are the same powers of 1024), such as "24 MB"`);
  }
  return Math.round(Number(m[1]) * unit);
}
