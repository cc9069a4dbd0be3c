// The limits as vitest matchers on the block to measure, for use with expect:
//   await expect(() => exports.parse(input)).toLeakAtMost('1 MB');
//   await expect(() => exports.parse(input)).toPeakAtMost('24 MB');
//   await expect(() => exports.leak(10)).not.toLeakAtMost(0);   // it must leak
// They run the block, so they are async: await them (vitest warns otherwise).

import { expect, type MatcherState } from 'vitest';
import { checkLimits, checkOptions, measureWasmMemory, type LimitOptions, type Limits } from './limits.js';
import { formatSize } from '@wasm-tracemalloc/runtime';

declare module 'vitest' {
  interface Matchers<T = any> {
    /** The block leaves at most `limit` of Wasm memory allocated at its end (in `options.module` only, if given). */
    toLeakAtMost(limit: string | number, options?: LimitOptions): Promise<void>;
    /** The traced Wasm memory of all modules never exceeds `limit` while the block runs. */
    toPeakAtMost(limit: string | number, options?: Omit<LimitOptions, 'module'>): Promise<void>;
  }
}

async function check(state: MatcherState, name: string, received: unknown, limits: Limits) {
  if (typeof received !== 'function') {
    throw new TypeError(`${name}: expect() must receive the block to measure as a function, such as expect(() => exports.work()).${name}('1 MB'); got ${received === null ? 'null' : typeof received}`);
  }
  // Checked before the block runs, so a bad limit does not run it.
  const usage = await measureWasmMemory(received as () => unknown, checkOptions(limits));
  const failure = checkLimits(limits, usage);
  const measured = limits.memory !== undefined ? `a peak of ${formatSize(usage.peakBytes)}` : `${formatSize(usage.leakedBytes)} in ${usage.leakedBlocks} blocks left allocated`;
  return {
    pass: failure === undefined,
    message: () =>
      state.isNot
        ? `${name}: expected the block to exceed ${limits.memory ?? limits.leaks}, but it had ${measured}`
        : failure!.message,
    actual: limits.memory !== undefined ? usage.peakBytes : usage.leakedBytes,
  };
}

export const wasmMemoryMatchers = {
  toLeakAtMost(this: MatcherState, received: unknown, limit: string | number, options: LimitOptions = {}) {
    return check(this, 'toLeakAtMost', received, { ...options, leaks: limit });
  },
  toPeakAtMost(this: MatcherState, received: unknown, limit: string | number, options: Omit<LimitOptions, 'module'> = {}) {
    return check(this, 'toPeakAtMost', received, { ...options, memory: limit });
  },
};

/** Registers toLeakAtMost and toPeakAtMost with vitest's expect (the setup files do). */
export function registerWasmMemoryMatchers(): void {
  expect.extend(wasmMemoryMatchers);
}
