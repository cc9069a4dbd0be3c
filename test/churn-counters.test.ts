// Churn that a net difference hides (issue 19): a C program allocates and frees
// exactly 1,000 blocks of 64 B between two snapshots, traced by `wasm-tracemalloc
// node`; `show --compare` prints +1,000 allocated and +1,000 freed with Δ 0, and
// `show --peak` the sites live at the peak, not at the end.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildPath, FIXTURES_DIR, srcPath } from './fixtures/facts.js';
import { cliRunner, tempDir } from './cli-helpers.js';
import { CHROMIUM } from '../packages/viewer/harness/browser.mjs';
import { errors, openViewer, waitForTable, type ViewerSession } from './viewer/page.js';

const FILE = 'churn.wasm';
const tmp = tempDir('wtm-churn-');
const cli = cliRunner(join(tmp, 'cache')).run;
// The runtime the CLI's preload traces with: the script's snapshots must come from the same module instance.
const RUNTIME = pathToFileURL(fileURLToPath(new URL('../packages/runtime/dist/index.js', import.meta.url))).href;
const OLD = join(tmp, 'before.wtmsnap');
const NEW = join(tmp, 'after.wtmsnap');
const REPORT = join(tmp, 'report.json');
// Lines of churn.c (its SITE comments).
const KEEP = `${srcPath('churn.c')}:20`;
const CHURN = `${srcPath('churn.c')}:28`;

let run: ReturnType<typeof cli>;

beforeAll(() => {
  if (!existsSync(buildPath(FILE))) execFileSync('bash', [join(FIXTURES_DIR, 'build.sh')], { stdio: 'pipe' });
  const script = join(tmp, 'churn.mjs');
  writeFileSync(
    script,
    `import { readFileSync, writeFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { takeSnapshot } from ${JSON.stringify(RUNTIME)};
const wasi = new WASI({ version: 'preview1' });
const { instance } = await WebAssembly.instantiate(readFileSync(${JSON.stringify(buildPath(FILE))}), { wasi_snapshot_preview1: wasi.wasiImport });
wasi.initialize(instance);
instance.exports.keep();
writeFileSync(${JSON.stringify(OLD)}, takeSnapshot().dump());
console.log('churned', instance.exports.churn(1000));
writeFileSync(${JSON.stringify(NEW)}, takeSnapshot().dump());
`,
  );
  run = cli(['node', '--report', 'json', '--report-file', REPORT, '--key', 'lineno', script]);
}, 120_000);

describe('allocation churn between two snapshots', () => {
  it('runs traced, and the exit report counts what each live site allocated and freed', () => {
    expect(run.stderr).not.toMatch(/error|untraced/i);
    expect(run.stdout).toBe('churned 1000\n');
    expect(run.status).toBe(0);
    const report = JSON.parse(readFileSync(REPORT, 'utf8')) as { sites: Array<Record<string, unknown>>; peakBytes: number; currentBytes: number };
    expect([report.peakBytes, report.currentBytes]).toEqual([65_000, 1000]);
    // The churned line holds nothing at exit: only the kept one is a site of the report.
    expect(report.sites.map((s) => [s.size, s.count, s.allocCount, s.allocSize, s.freeCount, s.freeSize])).toEqual([[1000, 10, 10, 1000, 0, 0]]);
  });

  it('show --compare: +1,000 allocs (+62.5 KiB), +1,000 frees (+62.5 KiB) at the churn line, with a net change of 0', () => {
    const r = cli(['show', NEW, '--compare', OLD]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(1)).toEqual([
      'Top 2 differences',
      `#1: ${KEEP}: size=1000 B (+0 B), count=10 (+0), average=100 B, +0 allocs (+0 B), +0 frees (+0 B)`,
      `#2: ${CHURN}: size=0 B (+0 B), count=0 (+0), +1,000 allocs (+62.5 KiB), +1,000 frees (+62.5 KiB)`,
      'Net change: +0 B',
      '',
    ]);
  });

  it('show --peak: the churned blocks made up the peak, though none is live at the end', () => {
    const r = cli(['show', NEW, '--peak']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      'Top 2 lines at the peak (63.5 KiB)',
      `#1: ${CHURN}: size=62.5 KiB, count=1000, average=64 B`,
      `#2: ${KEEP}: size=1000 B, count=10, average=100 B`,
      '',
    ]);
    // Before the churn, the peak was the kept blocks alone.
    expect(cli(['show', OLD, '--peak']).stdout).toContain(`\nTop 1 lines at the peak (1000 B)\n#1: ${KEEP}: size=1000 B, count=10, average=100 B\n`);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('the same two snapshots in the viewer (Chromium)', () => {
  let viewer: ViewerSession | undefined;
  beforeAll(async () => {
    const fixtures = join(tmp, 'fixtures');
    mkdirSync(fixtures, { recursive: true });
    copyFileSync(OLD, join(fixtures, 'before.wtmsnap'));
    copyFileSync(NEW, join(fixtures, 'after.wtmsnap'));
    viewer = await openViewer(fixtures);
  }, 120_000);
  afterAll(() => viewer?.close());

  it('the diff shows +1,000 allocated, +1,000 freed and Δ 0 at the churn line; the Peak view puts it first', async () => {
    const page = await viewer!.open('?url=fixtures/before.wtmsnap&url=fixtures/after.wtmsnap&snap=1&base=0');
    await waitForTable(page);
    await page.waitForFunction(() => document.querySelector('.stats-table.compare.churn .row') !== null);
    const rows = (view: string) =>
      page.$$eval(`${view} .table-rows .row`, (els) =>
        els
          .map((el) => {
            const cell = (id: string) => el.querySelector(`.col-${id}`)?.textContent ?? '';
            const loc = el.querySelector('.col-location .label')?.textContent ?? '';
            return { pos: Number((el as HTMLElement).dataset.pos), line: loc.split('/').pop()!, size: cell('size'), sizeDiff: cell('sizeDiff'), allocCount: cell('allocCount'), freeCount: cell('freeCount'), allocSize: cell('allocSize'), freeSize: cell('freeSize') };
          })
          .sort((a, b) => a.pos - b.pos)
          .map(({ pos: _, ...row }) => row),
      );
    const diff = await rows('#view-table');
    expect(diff).toEqual([
      { line: 'churn.c:20', size: '1000 B', sizeDiff: '+0 B', allocCount: '0', freeCount: '0', allocSize: '+0 B', freeSize: '+0 B' },
      { line: 'churn.c:28', size: '0 B', sizeDiff: '+0 B', allocCount: '+1,000', freeCount: '+1,000', allocSize: '+62.5 KiB', freeSize: '+62.5 KiB' },
    ]);
    // The peak: the 1,000 churned blocks and the kept ones were live then; the churned are not now.
    await page.click('#tab-peak');
    await page.waitForFunction(() => document.querySelector('#view-peak .table-rows .row') !== null && !(document.querySelector('#view-peak') as HTMLElement).hidden);
    expect((await rows('#view-peak')).map((r) => [r.line, r.size])).toEqual([
      ['churn.c:28', '62.5 KiB'],
      ['churn.c:20', '1000 B'],
    ]);
    expect(await errors(page)).toEqual([]);
    await page.close();
  }, 60_000);
});
