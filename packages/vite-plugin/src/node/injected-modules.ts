/**
 * The small modules the plugin adds to the app, served through Vite's own pipeline
 * (so that `import.meta.hot` is Vite's channel to the dev server):
 *
 *   page.js            first script of every HTML page: install(), start(), live protocol
 *   worker.js          the same, first import of every Web Worker entry
 *   viewer-channel.js  first script of the viewer: globalThis.wasmTracemallocLive
 *   live-page.js       the plugin's live page
 *
 * Each is a line or two that calls into `dist/client/`, imported by absolute path:
 * app code importing `@wasm-tracemalloc/vite-plugin/client` resolves to the same
 * files, hence the same module instances (one trace table per page).
 */

import { fileURLToPath } from 'node:url';
import { normalizePath } from 'vite';

/** Paths under Vite's base; `/@` keeps them clear of the app's own files. */
export const INJECTED = {
  page: '@wasm-tracemalloc/page.js',
  worker: '@wasm-tracemalloc/worker.js',
  viewerChannel: '@wasm-tracemalloc/viewer-channel.js',
  livePage: '@wasm-tracemalloc/live-page.js',
} as const;

type Name = keyof typeof INJECTED;
const PREFIX = '\0wasm-tracemalloc:';
const CLIENT_DIR = normalizePath(fileURLToPath(new URL('../client/', import.meta.url)));

/** The virtual id for an import of one of the INJECTED paths, else undefined. */
export function resolveInjected(source: string): string | undefined {
  const path = source.replace(/^\//, '');
  for (const [name, p] of Object.entries(INJECTED)) if (path === p) return PREFIX + name;
  return undefined;
}

/** What every page and worker passes to start(). */
export interface StartSettings {
  nframe: number;
  samplingIntervalBytes: number;
}

export interface InjectedSettings extends StartSettings {
  /** Under the dev server: the live protocol runs over import.meta.hot. */
  serve: boolean;
}

export function loadInjected(id: string, settings: InjectedSettings): string | undefined {
  if (!id.startsWith(PREFIX)) return undefined;
  const name = id.slice(PREFIX.length) as Name;
  const hot = settings.serve ? 'import.meta.hot' : 'undefined';
  const from = (file: string) => JSON.stringify(`${CLIENT_DIR}${file}`);
  switch (name) {
    case 'page':
    case 'worker':
      return `import { startTracing } from ${from('tracing.js')};\nstartTracing(${hot}, { kind: ${JSON.stringify(name)}, nframe: ${settings.nframe}, samplingIntervalBytes: ${settings.samplingIntervalBytes} });\n`;
    case 'viewerChannel':
      return `import { exposeLiveChannel } from ${from('live-channel.js')};\nexposeLiveChannel(${hot});\n`;
    case 'livePage':
      return [
        `import { mountLivePage } from ${from('live-page.js')};`,
        `import { createLiveChannel } from ${from('live-channel.js')};`,
        `const root = document.getElementById('live');`,
        `mountLivePage(root, createLiveChannel(${hot}), { viewer: root.dataset.viewer || undefined });`,
        '',
      ].join('\n');
    default:
      return undefined;
  }
}
