// A program on threads, built from C with clang-19 (shared memory, atomics, its own
// locked allocator: what a wasi-threads build is), run under `wasm-tracemalloc node`.
// Blocks cross threads (allocated by one, freed or realloc'd by another) and two threads
// churn at once, so every number below is exact only if the threads share one trace
// table and records are ordered around the real calls (issue 18).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliRunner, tempDir } from './cli-helpers.js';
import { CHROMIUM } from '../packages/viewer/harness/browser.mjs';
import { afterTable, errors, openViewer, waitForTable, type ViewerSession } from './viewer/page.js';

const here = join(__dirname, 'shared-memory');
const source = join(here, 'mt.c');
const driver = join(here, 'driver.mjs');
const tmp = tempDir('wtm-shared-memory-');
const wasm = join(tmp, 'mt.wasm');
const cli = cliRunner(join(tmp, 'cache')).run;

/** The line of the `site:NAME` marker in mt.c. */
const lineOf = (name: string) => readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes(`/* site:${name} */`)) + 1;

interface Site {
  size: number;
  count: number;
  traceback: Array<{ filename: string; lineno: number }>;
}
interface Report {
  currentBytes: number;
  blocks: number;
  untracedFrees: number;
  doubleFrees: number;
  lostTraces: number;
  sites: Site[];
  threads: Array<{ thread: number; size: number; count: number; sites: Site[] }>;
}

/** "line: count × size" of each site, most recent frame, sorted. */
const shape = (sites: Site[]) => sites.map((s) => `${s.traceback[0]!.filename.split("/").pop()}:${s.traceback[0]!.lineno} ${s.count} blocks ${s.size} B`).sort();

beforeAll(() => {
  // Compile and link in two steps: clang would run a wasm-opt on PATH after the link.
  const object = join(tmp, 'mt.o');
  execFileSync('clang-19', ['--target=wasm32', '-O2', '-g', '-matomics', '-mbulk-memory', '-nostdlib', '-c', source, '-o', object]);
  execFileSync('wasm-ld-19', [object, '-o', wasm, '--no-entry', '--import-memory', '--shared-memory', '--max-memory=67108864', '--export=malloc', '--export=free', '--export=realloc']);
});

describe('a program on threads (shared memory)', () => {
  it('runs as it does untraced, and the blocks of every thread are in one exact report', () => {
    const untraced = spawnSync(process.execPath, [driver, wasm], { encoding: 'utf8' });
    expect(untraced.status).toBe(0);
    expect(untraced.stdout).toBe('done: 50 blocks kept by thread B\n');

    const reports: Report[] = [];
    for (let run = 0; run < 3; run++) {
      const reportFile = join(tmp, `report-${run}.json`);
      const r = cli(['node', '--key', 'lineno', '--report', 'json', '--report-file', reportFile, '--snapshot', join(tmp, `run-${run}.wtmsnap`), driver, wasm]);
      expect(r.stdout).toBe(untraced.stdout);
      expect(r.status).toBe(0);
      expect(r.stderr).not.toMatch(/untraced|warning/);
      reports.push(JSON.parse(readFileSync(reportFile, 'utf8')) as Report);
    }
    const [report] = reports as [Report];
    // 500 × 64 + 10 × 32 at make_blocks, 50 × 256 at the realloc, and the three arrays (1300 + 500 + 10 pointers).
    expect(shape(report.sites)).toEqual(
      [`mt.c:${lineOf('make')} 510 blocks 32320 B`, `mt.c:${lineOf('grow')} 50 blocks 12800 B`, `mt.c:${lineOf('slots')} 3 blocks 7240 B`].sort(),
    );
    expect(report.currentBytes).toBe(32320 + 12800 + 7240);
    expect(report.blocks).toBe(563);
    // Cross-thread frees and reallocs were all of traced blocks, each once.
    expect(report.untracedFrees).toBe(0);
    expect(report.doubleFrees).toBe(0);
    expect(report.lostTraces).toBe(0);
    // By thread: W, B and main hold blocks; A's were all freed or moved by B; the churners hold nothing.
    const byThread = report.threads.map((t) => ({ size: t.size, count: t.count, main: t.thread === 0, sites: shape(t.sites) }));
    expect(byThread).toEqual([
      { size: 32000 + 2000, count: 501, main: false, sites: [`mt.c:${lineOf('make')} 500 blocks 32000 B`, `mt.c:${lineOf('slots')} 1 blocks 2000 B`].sort() },
      { size: 12800, count: 50, main: false, sites: [`mt.c:${lineOf('grow')} 50 blocks 12800 B`] },
      { size: 5200 + 40 + 320, count: 12, main: true, sites: [`mt.c:${lineOf('make')} 10 blocks 320 B`, `mt.c:${lineOf('slots')} 2 blocks 5240 B`].sort() },
    ]);
    // The snapshot file keeps each block's thread: show prints the same by-thread section.
    const shown = cli(['show', join(tmp, 'run-0.wtmsnap')]);
    expect(shown.status).toBe(0);
    const section = shown.stdout.slice(shown.stdout.indexOf('By thread (3 threads)'));
    expect(section).toMatch(/^By thread \(3 threads\)\nthread \d+: size=33\.2 KiB, count=501\n/);
    expect(section).toMatch(/\nthread \d+: size=12\.5 KiB, count=50\n {4}\S*mt\.c:\d+: size=12\.5 KiB, count=50, average=256 B\nmain thread: size=5560 B, count=12\n/);
    // The same numbers every run, whatever the scheduling.
    for (const r of reports.slice(1)) {
      expect(shape(r.sites)).toEqual(shape(report.sites));
      expect(r.threads.map((t) => [t.size, t.count])).toEqual(report.threads.map((t) => [t.size, t.count]));
    }
  });

  it('terminates workers in the middle of their churn without a half-changed table', () => {
    // Two workers churn nonstop and are terminated: the CLI's Worker fences each out of
    // the tracer's lock first, so no lock is ever taken over and nothing is dropped.
    for (let run = 0; run < 4; run++) {
      const reportFile = join(tmp, `terminate-${run}.json`);
      const r = cli(['node', '--key', 'lineno', '--report', 'json', '--report-file', reportFile, join(here, 'terminate.mjs'), wasm]);
      expect(r.stdout).toBe('main done\n');
      expect(r.status).toBe(0);
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report & { lockTakenOver?: number };
      const mainThread = report.threads.find((t) => t.thread === 0)!;
      expect(shape(mainThread.sites)).toEqual([`mt.c:${lineOf('make')} 10 blocks 320 B`, `mt.c:${lineOf('slots')} 1 blocks 40 B`].sort());
      // A worker killed between a malloc and its free holds that block (at most one each).
      expect(report.blocks - 11).toBeLessThanOrEqual(2);
      expect(report.doubleFrees + report.untracedFrees + report.lostTraces).toBe(0);
      expect(report.lockTakenOver).toBeUndefined();
    }
  });
});

describe.skipIf(!existsSync(CHROMIUM))('the snapshot of a program on threads in the viewer (Chromium)', () => {
  let viewer: ViewerSession | undefined;
  beforeAll(async () => {
    // A snapshot written by the first test's run.
    const fixtures = join(tmp, 'viewer');
    mkdirSync(fixtures, { recursive: true });
    copyFileSync(join(tmp, 'run-0.wtmsnap'), join(fixtures, 'threads.wtmsnap'));
    viewer = await openViewer(fixtures);
  }, 120_000);
  afterAll(() => viewer?.close());

  it('offers a box per thread; unticking threads keeps the rows of the others', async () => {
    const page = await viewer!.open('?url=fixtures/threads.wtmsnap');
    await waitForTable(page);
    const boxes = await page.$$eval('.threads label.thread', (els) => els.map((e) => e.textContent));
    expect(boxes[0]).toBe('main thread');
    expect(boxes).toHaveLength(3);
    const rows = () => page.$$eval('#view-table .table-rows .row', (els) => els.map((e) => `${(e.querySelector('.col-location .label')?.textContent ?? '').split('/').pop()} ${e.querySelector('.col-count')?.textContent}`).sort());
    expect(await rows()).toEqual([`mt.c:${lineOf('grow')} 50`, `mt.c:${lineOf('make')} 510`, `mt.c:${lineOf('slots')} 3`].sort());
    // Keep the main thread only: 10 × 32 B at make_blocks and its two arrays.
    // The boxes are drawn again after each change: each is found afresh.
    const workers = await page.$$eval('.threads label.thread', (els) => els.map((e) => (e as HTMLElement).dataset.thread!).filter((t) => t !== '0'));
    for (const id of workers) await afterTable(page, () => page.click(`.threads label.thread[data-thread="${id}"] input`));
    expect(await rows()).toEqual([`mt.c:${lineOf('make')} 10`, `mt.c:${lineOf('slots')} 2`].sort());
    expect(page.url()).toContain('thr=0');
    expect(await errors(page)).toEqual([]);
    await page.close();
  }, 60_000);
});
