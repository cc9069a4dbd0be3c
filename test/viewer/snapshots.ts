// Snapshot files for the viewer tests, made by the real runtime from the real
// fixture programs (test/fixtures/build), plus a hostile, a corrupt and a big one.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { openSync } from 'node:fs';
import * as tm from 'wasm-tracemalloc';
import { SnapshotBuilder, Snapshot, encodeSnapshot, type FrameData, type SnapshotData } from '@wasm-tracemalloc/runtime/model';
import { buildPath } from '../fixtures/facts.js';

const CLI = fileURLToPath(new URL('../../packages/cli/bin/wasm-tracemalloc.js', import.meta.url));

export interface ViewerFixtures {
  dir: string;
  /** `wasm-tracemalloc run leak_cli.wasm --snapshot`: 1000 × 100 B leaked at one site. */
  leakCli: string;
  /** The CLI's own report line for that site: what the table's top row must say. */
  leakCliReportLine: string;
  /** leak.wasm (reactor) + lib_rs.wasm traced together, with 8-frame tracebacks, snapshot after each step. */
  series: string[];
  /** Names with HTML and script in them. */
  hostile: string;
  /** The strings the hostile snapshot carries. */
  hostileNames: { filename: string; function: string; source: string };
  /** A valid snapshot with one byte changed (CRC mismatch), and bytes that are no snapshot at all. */
  corrupt: string;
  garbage: string;
  /** 100,000 sites, one block each: the table must stay virtualized. */
  wide: string;
  /**
   * A sampled snapshot (format version 3): lib_rs.wasm traced with
   * start(1, { samplingIntervalBytes: SAMPLED.interval }), one instance holding
   * SAMPLED.big blocks of 1 MiB (each one traced for sure, standing for itself:
   * exact), another SAMPLED.small blocks of 100 B (a random sample of them).
   */
  sampled: string;
}

/** What the sampled snapshot's program holds: the truth its estimates are of. */
export const SAMPLED = {
  interval: 256,
  big: { domain: 'big_blocks.wasm', count: 8, size: 1 << 20 },
  small: { domain: 'small_blocks.wasm', count: 4000, size: 100 },
} as const;

const devNull = openSync('/dev/null', 'w');

export async function makeViewerFixtures(dir: string): Promise<ViewerFixtures> {
  mkdirSync(dir, { recursive: true });

  // 1. The CLI, as a user runs it.
  const leakCli = join(dir, 'leak_cli.wtmsnap');
  const run = spawnSync(process.execPath, [CLI, 'run', buildPath('leak_cli.wasm'), '--snapshot', leakCli], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`wasm-tracemalloc run leak_cli.wasm failed (${run.status}):\n${run.stderr}`);
  const reportLine = /^#1: (.*)$/m.exec(run.stderr)?.[1];
  if (reportLine === undefined) throw new Error(`no "#1:" line in the CLI's report:\n${run.stderr}`);

  // 2. The library: two modules in one traced process, deep tracebacks, four snapshots.
  tm.stop();
  tm.start(8);
  const wasi = new WASI({ version: 'preview1', args: ['leak.wasm'], returnOnExit: true, stdout: devNull });
  const leak = await tm.instantiate(readFileSync(buildPath('leak.reactor.wasm')), { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, { name: 'leak.wasm', maxFrames: 8 });
  const rs = await tm.instantiate(readFileSync(buildPath('lib_rs.wasm')), {}, { name: 'lib_rs.wasm', maxFrames: 8 });
  const e = leak.instance.exports as Record<string, () => number>;
  const r = rs.instance.exports as Record<string, (...a: number[]) => number>;
  const series: string[] = [];
  const snap = (name: string) => {
    const file = join(dir, name);
    writeFileSync(file, tm.takeSnapshot().dump());
    series.push(file);
  };
  wasi.initialize(leak.instance);
  snap('1-start.wtmsnap');
  e.phase_leak_nodes!();
  e.phase_churn!();
  r.alloc_blocks!(10, 1000);
  snap('2-leak.wtmsnap');
  e.phase_grow_buffer!();
  e.phase_shrink_buffer!();
  e.phase_realloc_move!();
  e.phase_zeroed!();
  e.phase_aligned!();
  snap('3-more.wtmsnap');
  e.phase_release_all!();
  r.free_blocks!();
  snap('4-released.wtmsnap');
  tm.stop();

  // 3. Hostile names: markup and script in every string a frame has.
  const hostileNames = {
    filename: '<img src=x onerror="window.__xss=1">.wasm',
    function: '<script>window.__xss=2</script>',
    source: '<b onmouseover="window.__xss=3">bold</b> && "quotes" \'too\'',
  };
  const b = new SnapshotBuilder(4);
  const evil: FrameData = { filename: hostileNames.filename, lineno: 0, function: hostileNames.function, offset: 0x2a };
  const main: FrameData = { filename: 'app.wasm', lineno: 0, function: 'main', offset: 0x10 };
  b.addMany(3, 0, 4096, [main, evil]);
  b.addMany(2, 0, 64, [main, { filename: '"><svg onload=alert(1)>', lineno: 7 }]);
  const hostileData = b.build({ domains: [{ id: 0, name: '<iframe src="javascript:alert(1)">' }], meta: { timestamp: Date.now(), current: 12416, peak: 12416 } });
  // Source lines arrive with symbolization (FrameData.source); written when the format keeps them.
  (hostileData.frames[1] as FrameData & { source?: string }).source = hostileNames.source;
  const hostile = join(dir, 'hostile.wtmsnap');
  writeFileSync(hostile, encodeSnapshot(hostileData));

  // 4. Corrupt and garbage.
  const bytes = readFileSync(series[1]);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  const corrupt = join(dir, 'corrupt.wtmsnap');
  writeFileSync(corrupt, bytes);
  const garbage = join(dir, 'garbage.wtmsnap');
  writeFileSync(garbage, '<html><script>window.__xss=4</script> this is not a snapshot');

  // 5. Wide: 100,000 sites.
  const wide = join(dir, 'wide.wtmsnap');
  writeFileSync(wide, encodeSnapshot(wideSnapshot(100_000)));

  // 6. Sampled: one trace per 256 B allocated on average, in two instances of lib_rs.wasm.
  const sampled = join(dir, 'sampled.wtmsnap');
  tm.start(1, { samplingIntervalBytes: SAMPLED.interval });
  for (const { domain, count, size } of [SAMPLED.big, SAMPLED.small]) {
    const lib = await tm.instantiate(readFileSync(buildPath('lib_rs.wasm')), {}, { name: domain, maxFrames: 1 });
    const kept = (lib.instance.exports as Record<string, (...a: number[]) => number>).alloc_blocks!(count, size);
    if (kept !== count) throw new Error(`${domain}: alloc_blocks(${count}, ${size}) kept ${kept}`);
  }
  writeFileSync(sampled, tm.takeSnapshot().dump());
  tm.stop();

  return { dir, leakCli, leakCliReportLine: reportLine, series, hostile, hostileNames, corrupt, garbage, wide, sampled };
}

/** `sites` call sites in one function of wide.wasm, site i holding one block of i + 1 bytes. */
export function wideSnapshot(sites: number): SnapshotData {
  const frames: FrameData[] = [];
  const tracebacks = [];
  for (let i = 0; i < sites; i++) {
    frames.push({ filename: 'wide.wasm', lineno: 0, function: 'site', offset: 0x100 + i });
    tracebacks.push({ frames: [i], totalNframe: 1 });
  }
  const traces = {
    domain: new Uint32Array(sites),
    size: Float64Array.from({ length: sites }, (_, i) => i + 1),
    traceback: Uint32Array.from({ length: sites }, (_, i) => i),
  };
  return { tracebackLimit: 1, frames, tracebacks, traces, domains: [{ id: 0, name: 'wide.wasm' }], meta: { timestamp: Date.now() } };
}

/** Whether the snapshot file keeps FrameData.source (it will with file:line symbolization). */
export function fileKeepsSource(file: string): boolean {
  return Snapshot.load(new Uint8Array(readFileSync(file))).data.frames.some((f) => typeof (f as { source?: unknown }).source === 'string');
}
