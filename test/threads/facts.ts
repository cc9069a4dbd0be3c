// facts.ts: what the threaded test programs do, as data a test can assert.
//
// The handoff numbers are the constants of src/handoff.c (its header explains the
// phases); the lines of its allocation sites are read from the source's
// "site:NAME" tags, so an edit that moves a line moves the facts with it.
// test/threads.test.ts checks the untraced output against these facts, so a
// change to the program that is not made here too fails there.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const THREADS_DIR = dirname(fileURLToPath(import.meta.url));
export const SRC_DIR = join(THREADS_DIR, 'src');
export const BUILD_DIR = join(THREADS_DIR, 'build');
export const BUILD_SCRIPT = join(THREADS_DIR, 'build.sh');
export const HANDOFF_SRC = join(SRC_DIR, 'handoff.c');

/** The Emscripten builds (build.sh): each is a .js glue next to its .wasm and .worker.js. */
export const HANDOFF_BUILDS = {
  /** -O1 -g: DWARF lines, name section. */
  debug: join(BUILD_DIR, 'debug', 'handoff.js'),
  /** -O2: no names, no DWARF; malloc and free are found through the exports. */
  release: join(BUILD_DIR, 'release', 'handoff.js'),
} as const;
export const CHURN_MT = join(BUILD_DIR, 'release', 'churn-mt.js');
export const ARGON2_DRIVER = join(THREADS_DIR, 'argon2-driver.mjs');

/** Emscripten 3.1.6's glue on Node 20 fetch()es the .wasm path as a URL unless fetch is off. */
export const EMSCRIPTEN_NODE_OPTIONS = '--no-experimental-fetch';

export type HandoffSite =
  | 'a-malloc'
  | 'b-free-a'
  | 'b-free-main'
  | 'b-realloc'
  | 'w-malloc'
  | 'main-handoff-malloc'
  | 'main-malloc';

/** Line of every "site:NAME" tag in a source file (1-based), by name. */
export function siteLines(file: string): Map<string, number> {
  const lines = new Map<string, number>();
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    for (const m of text.matchAll(/\/\*\s*site:([a-z0-9-]+)\s*\*\//g)) {
      if (lines.has(m[1])) throw new Error(`${file}: site:${m[1]} is tagged twice`);
      lines.set(m[1], i + 1);
    }
  });
  return lines;
}

const HANDOFF_LINES = siteLines(HANDOFF_SRC);

/** handoff.c's line for a site. */
export function handoffLine(site: HandoffSite): number {
  const line = HANDOFF_LINES.get(site);
  if (line === undefined) throw new Error(`handoff.c has no site:${site} tag`);
  return line;
}

// The constants of handoff.c.
export const HANDOFF = {
  aBlocks: 1300,
  aSize: 24,
  bFrees: 1250,
  bKeep: 50,
  bReallocSize: 256,
  wBlocks: 500,
  wSize: 64,
  mainLeakBlocks: 10,
  mainLeakSize: 32,
  mainHandoff: 250,
  mainHandoffSize: 40,
} as const;

export type HandoffThread = 'main' | 'A' | 'B' | 'W';

export interface LiveSite {
  site: HandoffSite;
  /** The thread whose call allocated the block (for a realloc: the thread that reallocated it). */
  thread: HandoffThread;
  count: number;
  size: number;
}

/**
 * The blocks live at exit, by site: B's reallocs, W's leak and main's leak. A's
 * blocks are all freed or moved to b-realloc by B; main's 250 handed-off blocks are
 * all freed by B.
 */
export const HANDOFF_LIVE: readonly LiveSite[] = [
  { site: 'w-malloc', thread: 'W', count: HANDOFF.wBlocks, size: HANDOFF.wSize },
  { site: 'b-realloc', thread: 'B', count: HANDOFF.bKeep, size: HANDOFF.bReallocSize },
  { site: 'main-malloc', thread: 'main', count: HANDOFF.mainLeakBlocks, size: HANDOFF.mainLeakSize },
];

/** 32,000 + 12,800 + 320 = 45,120 B in 560 blocks. */
export const HANDOFF_LIVE_BYTES = HANDOFF_LIVE.reduce((n, s) => n + s.count * s.size, 0);
export const HANDOFF_LIVE_BLOCKS = HANDOFF_LIVE.reduce((n, s) => n + s.count, 0);

/** Emscripten's sources, as its frozen cache's DWARF names them (relative to this root). */
export const EMSCRIPTEN_ROOT = '/usr/share/emscripten';

export interface RuntimeLive {
  /** The file as the DWARF of the prebuilt libc names it. */
  file: string;
  line: number;
  thread: HandoffThread;
  count: number;
  size: number;
}

/** The line of `needle` in an Emscripten source file (so an emscripten upgrade that moves it is seen). */
function emscriptenLine(file: string, needle: string): number {
  const i = readFileSync(join(EMSCRIPTEN_ROOT, file), 'utf8').split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${file} has no line with ${needle}`);
  return i + 1;
}

/**
 * What the Emscripten runtime itself holds at exit: the main thread's static TLS block
 * (emscripten_tls_init, __builtin_wasm_tls_size() bytes: 1 B in this libc build). Every
 * pthread has one too, freed when the thread exits.
 */
export const HANDOFF_RUNTIME_LIVE: readonly RuntimeLive[] = [
  {
    file: 'system/lib/pthread/emscripten_tls_init.c',
    line: emscriptenLine('system/lib/pthread/emscripten_tls_init.c', 'emscripten_builtin_memalign(tls_align, tls_size)'),
    thread: 'main',
    count: 1,
    size: 1,
  },
];

/** Frees made on another thread than the block's allocation: B frees A's 1,250 and main's 250 (and reallocs A's 50). */
export const HANDOFF_CROSS_THREAD_FREES = HANDOFF.bFrees + HANDOFF.mainHandoff;

/** The program's whole stdout, identical in every run. */
export const HANDOFF_STDOUT =
  `handoff: A malloc ${HANDOFF.aBlocks} x ${HANDOFF.aSize} B; B verified ${HANDOFF.aBlocks}, bad 0, ` +
  `freed ${HANDOFF.bFrees} of A's and ${HANDOFF.mainHandoff} x ${HANDOFF.mainHandoffSize} B of main's, ` +
  `realloc ${HANDOFF.bKeep} to ${HANDOFF.bReallocSize} B (kept); W leaked ${HANDOFF.wBlocks} x ${HANDOFF.wSize} B; ` +
  `main leaked ${HANDOFF.mainLeakBlocks} x ${HANDOFF.mainLeakSize} B; live at exit ${HANDOFF_LIVE_BYTES} B in ${HANDOFF_LIVE_BLOCKS} blocks\n`;
