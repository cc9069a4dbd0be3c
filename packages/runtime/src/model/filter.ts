/**
 * Trace filters: CPython's `tracemalloc.Filter` and `DomainFilter`.
 *
 * Every filter answers "keep this trace?" (`match`). An inclusive filter keeps
 * the traces it matches; an exclusive one keeps the traces it does not match.
 * Snapshot.filterTraces keeps a trace when it passes at least one inclusive filter
 * (if there are any) and every exclusive filter.
 *
 * Filenames are compared as they are: CPython also maps "x.pyc" to "x.py" and
 * applies os.path.normcase, which are no-ops or meaningless for Wasm frames.
 */

import { fnmatchToRegExp } from './fnmatch.js';
import type { Traceback } from './traceback.js';

/** What a filter looks at: a Trace, or the parts of one. */
export interface TraceLike {
  readonly domain: number;
  readonly traceback: Traceback;
}

/** The filename and line a filter compares; a Frame is one. */
export interface FrameLike {
  readonly filename: string;
  readonly lineno: number;
}

/** Filenames remembered per filter; beyond this the memo starts over. */
const MEMO_LIMIT = 1 << 16;

export class Filter {
  readonly #regex: RegExp;
  readonly #memo = new Map<string, boolean>();

  /**
   * @param inclusive keep (true) or drop (false) the traces that match
   * @param filenamePattern fnmatch pattern on the frame's filename (see fnmatch.ts)
   * @param lineno only frames of this line match; null for any line
   * @param allFrames match any frame of the traceback, not only the most recent one
   * @param domain only traces of this domain match; null for any domain
   */
  constructor(
    public inclusive: boolean,
    readonly filenamePattern: string,
    public lineno: number | null = null,
    public allFrames = false,
    public domain: number | null = null,
  ) {
    if (typeof filenamePattern !== 'string') {
      throw new TypeError(`Filter: filenamePattern must be a string, got ${typeof filenamePattern}`);
    }
    this.#regex = fnmatchToRegExp(filenamePattern);
  }

  /** The pattern and line match this frame, whatever `inclusive` says. */
  frameMatches(filename: string, lineno: number): boolean {
    let matches = this.#memo.get(filename);
    if (matches === undefined) {
      matches = this.#regex.test(filename);
      if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
      this.#memo.set(filename, matches);
    }
    return matches && (this.lineno === null || lineno === this.lineno);
  }

  /** Python's `_match_frame`: keep a trace whose most recent frame is this one? */
  matchFrame(filename: string, lineno: number): boolean {
    return this.frameMatches(filename, lineno) !== !this.inclusive;
  }

  /**
   * Python's `_match_traceback`: the verdict on the most recent frame, or with
   * `allFrames` on whether any frame matches.
   */
  matchTraceback(traceback: Traceback | readonly FrameLike[]): boolean {
    let frames: readonly FrameLike[] = Array.isArray(traceback) ? traceback : (traceback as Traceback).frames;
    if (frames.length === 0) frames = [UNKNOWN];
    return this.matchFrames(frames.length, (i) => this.frameMatches(frames[i].filename, frames[i].lineno));
  }

  /**
   * matchTraceback for a traceback of `count` frames (oldest -> most recent, at
   * least one) given `frameMatches(i)`, frame i's frameMatches verdict; lets
   * Snapshot.filterTraces reuse one verdict per frame across all tracebacks.
   */
  matchFrames(count: number, frameMatches: (i: number) => boolean): boolean {
    if (this.allFrames) {
      for (let i = 0; i < count; i++) if (frameMatches(i)) return this.inclusive;
      return !this.inclusive;
    }
    return frameMatches(count - 1) !== !this.inclusive;
  }

  /**
   * The verdict on a trace of `domain` whose traceback got `tracebackVerdict`
   * from matchTraceback. With a domain set, an inclusive filter also needs the
   * domain to match; an exclusive one drops only the matches in its domain.
   */
  matchDomain(domain: number, tracebackVerdict: boolean): boolean {
    if (this.domain === null) return tracebackVerdict;
    return this.inclusive ? tracebackVerdict && domain === this.domain : tracebackVerdict || domain !== this.domain;
  }

  /** Python's `_match`: keep this trace? */
  match(trace: TraceLike): boolean {
    return this.matchDomain(trace.domain, this.matchTraceback(trace.traceback));
  }
}

export class DomainFilter {
  /**
   * @param inclusive keep (true) or drop (false) the traces of `domain`
   */
  constructor(
    public inclusive: boolean,
    readonly domain: number,
  ) {}

  /** Keep a trace of this domain? */
  matchDomain(domain: number): boolean {
    return (domain === this.domain) !== !this.inclusive;
  }

  /** Python's `_match`: keep this trace? */
  match(trace: TraceLike): boolean {
    return this.matchDomain(trace.domain);
  }
}

export type TraceFilter = Filter | DomainFilter;

const UNKNOWN: FrameLike = { filename: '<unknown>', lineno: 0 };
