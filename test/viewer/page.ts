// Helpers for driving the viewer page in the end-to-end tests: read what the
// table, the summary and the traceback panel show, as a person would see it.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureViewerBuilt, launchChromium, serveViewer, type Browser, type Page } from '../../packages/viewer/harness/browser.mjs';

export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/viewer/', import.meta.url));

export interface Row {
  rank: string;
  status: string;
  location: string;
  callers: string;
  size: string;
  sizeDiff: string;
  count: string;
  countDiff: string;
  average: string;
  /** The row as tracemalloc prints it (its title). */
  text: string;
}

/** The rendered table rows, top to bottom (only those that exist: the table is virtualized). */
export async function rows(page: Page): Promise<Row[]> {
  return page.$$eval('.table-rows .row', (els) =>
    els
      .map((el) => {
        const cell = (id: string) => el.querySelector(`.col-${id}`)?.textContent ?? '';
        return {
          pos: Number((el as HTMLElement).dataset.pos),
          rank: cell('rank'),
          status: cell('status'),
          location: el.querySelector('.col-location .label')?.textContent ?? '',
          callers: el.querySelector('.col-location .callers')?.textContent ?? '',
          size: cell('size'),
          sizeDiff: cell('sizeDiff'),
          count: cell('count'),
          countDiff: cell('countDiff'),
          average: cell('average'),
          text: (el as HTMLElement).title,
        };
      })
      .sort((a, b) => a.pos - b.pos)
      .map(({ pos: _, ...row }) => row),
  );
}

/** Waits until the table has been drawn `after` times or more (its generation counter). */
export async function waitForTable(page: Page, after = 0): Promise<number> {
  const handle = await page.waitForFunction(
    (n) => {
      const el = document.querySelector<HTMLElement>('#view-table');
      const gen = Number(el?.dataset.generation ?? 0);
      return gen > n ? gen : false;
    },
    { timeout: 20_000 },
    after,
  );
  return (await handle.jsonValue()) as number;
}

export async function tableGeneration(page: Page): Promise<number> {
  return page.$eval('#view-table', (el) => Number((el as HTMLElement).dataset.generation ?? 0));
}

/** Runs `action` and waits for the table it causes to be drawn. */
export async function afterTable(page: Page, action: () => Promise<unknown>): Promise<void> {
  const gen = await tableGeneration(page);
  await action();
  await waitForTable(page, gen);
}

export async function summaryCards(page: Page): Promise<Record<string, string>> {
  return page.$$eval('.summary .card', (els) =>
    Object.fromEntries(els.map((el) => [(el as HTMLElement).dataset.card!, el.querySelector('.card-value')?.textContent ?? ''])),
  );
}

export async function panelFrames(page: Page): Promise<Array<{ fn: string; loc: string; src: string | null }>> {
  return page.$$eval('.traceback-panel .frame', (els) =>
    els.map((el) => ({ fn: el.querySelector('.fn')?.textContent ?? '', loc: el.querySelector('.loc')?.textContent ?? '', src: el.querySelector('.src')?.textContent ?? null })),
  );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) as `${string}.png` });
}

export async function errors(page: Page): Promise<string[]> {
  return page.$$eval('.errors .error-text', (els) => els.map((e) => e.textContent ?? ''));
}

/** The built viewer served with `fixtures` (at fixtures/…) and a Chromium to open it in. */
export interface ViewerSession {
  /** A new 1280 × 800 page at the viewer's URL plus `query`, e.g. `?url=fixtures/a.wtmsnap`. */
  open(query: string): Promise<Page>;
  close(): Promise<void>;
}

export async function openViewer(fixtures: string): Promise<ViewerSession> {
  ensureViewerBuilt();
  const server = await serveViewer({ fixtures });
  let browser: Browser;
  try {
    browser = await launchChromium({ width: 1280, height: 800 });
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    async open(query) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 800 });
      await page.goto(`${server.url}${query}`, { waitUntil: 'domcontentloaded' });
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
