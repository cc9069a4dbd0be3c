/**
 * `@wasm-tracemalloc/vite-plugin`: trace every Wasm module of a Vite app.
 *
 * ```ts
 * // vite.config.ts
 * import wasmTracemalloc from '@wasm-tracemalloc/vite-plugin';
 * export default { plugins: [wasmTracemalloc()] };
 * ```
 *
 * Glue between the three packages, with no tracing logic of its own:
 *   - instrument: every `.wasm` the dev server sends (any way the app asks for it),
 *     and, with `build: true`, every `.wasm` a build writes, goes through
 *     `instrument()` once per content hash and glue (instrument-cache.ts), with the JS
 *     glue that loads it: the served modules that name it (glue-index.ts) and the
 *     scripts beside it; the files its debug info names are read only as Vite's
 *     server.fs rules allow (source-files.ts);
 *   - runtime: every page and worker first runs install() + start() (injected-modules.ts);
 *   - viewer: served at `/__wasm-tracemalloc/` with live data from every tab over
 *     Vite's WebSocket (endpoints.ts, live-hub.ts, protocol.ts).
 */

import { readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GlueFile } from '@wasm-tracemalloc/instrument';
import { glueBeside } from '@wasm-tracemalloc/instrument/glue-files';
import { createFilter, type FilterPattern, type Plugin, type ResolvedConfig, type UserConfig, type ViteDevServer } from 'vite';
import { isSamplingInterval } from '@wasm-tracemalloc/runtime/model';
import { MOUNT } from '../protocol.js';
import { endpoints } from './endpoints.js';
import { GlueIndex, noteBundledDir } from './glue-index.js';
import { InstrumentCache, type CachedModule } from './instrument-cache.js';
import { INJECTED, loadInjected, resolveInjected, type StartSettings } from './injected-modules.js';
import { LiveHub } from './live-hub.js';
import { filesViteServes } from './source-files.js';
import { wasmFileOf } from './wasm-files.js';

export interface WasmTracemallocOptions {
  /** `.wasm` files to trace: globs (relative to the root) or RegExps on the file's path. Default: all. */
  include?: FilterPattern;
  /** `.wasm` files to leave alone, same form as `include`. */
  exclude?: FilterPattern;
  /** Allocators the presets do not know, as the CLI's `--alloc NAME=KIND` (KIND: alloc, calloc, realloc, free, memalign). */
  alloc?: string[];
  /** Frames of call path to record per allocation (shadow stack, 1 to 128), also the pages' start(maxFrames). Default 128; 1 records the allocation site only. */
  maxFrames?: number;
  /**
   * Trace a sample, one block per this many bytes allocated on average (the pages'
   * start(nframe, { samplingIntervalBytes })): much cheaper for allocation-heavy
   * apps, and sizes and counts become estimates. Default 0: every allocation.
   */
  samplingIntervalBytes?: number;
  /** Also trace `vite build` output (instrumented Wasm, the runtime in every page). Default false. */
  build?: boolean;
  /**
   * Make every page cross-origin isolated: the dev server and `vite preview` send
   * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
   * require-corp` on every response (the viewer's too), so that SharedArrayBuffer
   * and shared WebAssembly.Memory work. A program on threads then traces as one: each
   * page shares its tracer with the module workers it starts, whose blocks are in the
   * page's snapshots. Cross-origin resources the app loads must then allow it (CORP or
   * CORS). Default false: headers as the app's own config says.
   */
  crossOriginIsolated?: boolean;
}

export type { SnapshotInfo, TabInfo, MemorySample, UntracedModule, LiveChannel, ServerMessage, ClientMessage } from '../protocol.js';

const OPTION_NAMES: ReadonlyArray<keyof WasmTracemallocOptions> = ['include', 'exclude', 'alloc', 'maxFrames', 'samplingIntervalBytes', 'build', 'crossOriginIsolated'];

/** What makes a page cross-origin isolated (`crossOriginIsolated === true`), hence SharedArrayBuffer. */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** A middleware that sets the isolation headers on every response, before anyone writes one. */
function isolate(req: unknown, res: { setHeader(name: string, value: string): unknown }, next: () => void): void {
  for (const [name, value] of Object.entries(CROSS_ORIGIN_ISOLATION_HEADERS)) res.setHeader(name, value);
  next();
}

export default function wasmTracemalloc(options: WasmTracemallocOptions = {}): Plugin {
  // A misspelt option would silently do nothing (samplingInterval: every allocation traced).
  const unknown = Object.keys(options).filter((k) => !(OPTION_NAMES as string[]).includes(k));
  if (unknown.length > 0) throw new TypeError(`wasmTracemalloc(): unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the options are ${OPTION_NAMES.join(', ')}`);
  const maxFrames = options.maxFrames ?? 128;
  if (!Number.isInteger(maxFrames) || maxFrames < 1 || maxFrames > 128) {
    throw new RangeError(`wasmTracemalloc({ maxFrames }): must be an integer from 1 to 128, got ${maxFrames}`);
  }
  const samplingIntervalBytes = options.samplingIntervalBytes ?? 0;
  if (samplingIntervalBytes !== 0 && !isSamplingInterval(samplingIntervalBytes)) {
    throw new RangeError(`wasmTracemalloc({ samplingIntervalBytes }): must be 0 (trace every allocation) or a number of bytes of at least 1, such as 4096; got ${String(samplingIntervalBytes)}`);
  }
  if (options.crossOriginIsolated !== undefined && typeof options.crossOriginIsolated !== 'boolean') {
    throw new TypeError(`wasmTracemalloc({ crossOriginIsolated }): must be true or false, got ${JSON.stringify(options.crossOriginIsolated)}`);
  }
  const startWith = { nframe: maxFrames, samplingIntervalBytes };
  let config: ResolvedConfig;
  let cache: InstrumentCache;
  let traced: (file: string) => boolean;
  /** The dev server's live hub (undefined in a build): told about the modules sent untraced. */
  let hub: LiveHub | undefined;
  const said = new Set<string>();
  /** Output file name → source file (relative to the root) of the `.wasm` assets of worker bundles. */
  const workerAssetSources = new Map<string, string>();
  /** The served JS modules that the glue finder reads a mapping from, by the `.wasm` they name (set in configResolved). */
  let glueIndex = new GlueIndex();
  /** Our own packages' code names `.wasm` files and `_malloc` too: it is not glue, and not read as such. */
  const ownDirs = ownPackageDirs();
  const noteGlue = (code: string, id: string) => {
    if (id.startsWith('\0wasm-tracemalloc:') || ownDirs.some((d) => id.startsWith(d))) return;
    glueIndex.note(id, code);
  };
  /** The pre-bundled deps folder read last, by its metadata's time: see glueOf. */
  let depsRead: string | undefined;
  /**
   * The glue of a `.wasm` file: the scripts beside it that name it, then the served
   * modules that name it (one copy of each text).
   */
  const glueOf = (file: string): GlueFile[] => {
    if (config.command === 'serve') {
      // Pre-bundled deps that the browser keeps from an earlier run of the server are
      // never asked for, so never transformed: read them from the folder, again when Vite
      // re-optimizes.
      const deps = join(config.cacheDir, 'deps');
      let stamp: string;
      try {
        stamp = String(statSync(join(deps, '_metadata.json')).mtimeMs);
      } catch {
        stamp = 'none';
      }
      if (stamp !== depsRead) {
        depsRead = stamp;
        noteBundledDir(glueIndex, deps);
      }
    }
    // Beside it first: when both name an allocator, the summary names the file on disk.
    const glue = glueBeside(file);
    for (const g of glueIndex.glueFor(basename(file))) if (!glue.some((x) => x.text === g.text)) glue.push(g);
    return glue;
  };
  // Every request (and reload) of a module gets the same answer: say it once.
  const once = (level: 'info' | 'warn', message: string) => {
    if (said.has(message)) return;
    said.add(message);
    config.logger[level](message, { timestamp: true });
  };

  /**
   * What the pass said about a module, as the CLI says it: its allocators and how each
   * was found, its warnings; and, when it is sent untraced, to the live pages too.
   */
  const tell = (name: string, result: CachedModule) => {
    if (result.summary !== undefined) once('info', `wasm-tracemalloc: ${result.summary}`);
    if (result.note !== undefined) once('info', `wasm-tracemalloc: ${result.note}`);
    for (const w of result.warnings) once('warn', `wasm-tracemalloc: warning: ${w}`);
    // A side module without an allocator of its own loses nothing (its note says so).
    if (!result.traced && result.warnings.length > 0) hub?.untracedModule({ name, reason: result.reason, details: result.warnings });
  };

  /** The traced form of one file's bytes, or undefined (with a warning) if it cannot be traced. */
  const instrumentFile = async (bytes: Uint8Array, file: string, glue = glueOf(file)): Promise<Uint8Array | undefined> => {
    const name = relative(config.root, file) || file;
    const t0 = performance.now();
    try {
      const result = await cache.get(bytes, name, file, glue);
      if (result.traced && !result.fromCache) config.logger.info(`wasm-tracemalloc: instrumented ${name} in ${Math.round(performance.now() - t0)} ms`, { timestamp: true });
      tell(name, result);
      return result.traced ? result.bytes : undefined;
    } catch (error) {
      // As the CLI's hook words it. (InstrumentError by name: the pass is loaded lazily.)
      const e = error as Error;
      const message = e.name === 'InstrumentError' ? e.message : `${name}: internal error while instrumenting (${e.message}); please report it with the module`;
      once('warn', `wasm-tracemalloc: warning: ${message}; running it untraced`);
      hub?.untracedModule({ name, reason: message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message, details: [message] });
      return undefined;
    }
  };

  return {
    name: 'wasm-tracemalloc',
    // Nothing at all in a production build unless asked for.
    apply: (_config, env) => env.command === 'serve' || options.build === true,

    config(user, env): UserConfig {
      // The runtime and this package's client hold per-page state: they must stay one
      // module each, served as they are, not copied into a pre-bundled dependency.
      const patch: UserConfig = { optimizeDeps: { exclude: ['@wasm-tracemalloc/runtime', '@wasm-tracemalloc/vite-plugin'] } };
      if (env.command !== 'build') return patch;
      // A .wasm inlined as a data: URL would never reach generateBundle.
      const limit = user.build?.assetsInlineLimit;
      patch.build = {
        assetsInlineLimit: (file, content) => {
          if (file.endsWith('.wasm')) return false;
          return typeof limit === 'function' ? limit(file, content) : typeof limit === 'number' ? content.length < limit : undefined;
        },
      };
      // Worker bundles are built with worker.plugins only (not this plugin's instance).
      const userWorkerPlugins = user.worker?.plugins;
      patch.worker = {
        plugins: (...args: unknown[]) => [...((userWorkerPlugins as ((...a: unknown[]) => unknown[]) | undefined)?.(...args) ?? []), workerEntryPlugin(startWith, workerAssetSources, noteGlue)] as never,
      };
      return patch;
    },

    configResolved(resolved) {
      config = resolved;
      const files = filesViteServes(resolved, (message) => once('warn', `wasm-tracemalloc: warning: ${message}`));
      cache = new InstrumentCache(resolved.cacheDir, { alloc: options.alloc ?? [], maxFrames, root: resolved.root, files });
      traced = createFilter(options.include ?? /\.wasm$/, options.exclude, { resolve: resolved.root });
      // Vite's pre-bundled deps (<cacheDir>/deps, deps_ssr, …): named after the glue file they hold.
      glueIndex = new GlueIndex(undefined, (path) => {
        const rel = relative(resolved.cacheDir, path);
        return /^deps[^/\\]*[/\\][^/\\]+$/.test(rel);
      });
    },

    resolveId(source) {
      return resolveInjected(source);
    },

    load(id) {
      return loadInjected(id, { ...startWith, serve: config.command === 'serve' });
    },

    transformIndexHtml: {
      // 'pre': in a build, the tag must be there before Vite bundles the page's scripts.
      order: 'pre',
      handler: () => [{ tag: 'script', attrs: { type: 'module', src: `/${INJECTED.page}` }, injectTo: 'head-prepend' }],
    },

    transform(code, id) {
      // Every module served or bundled passes here, Vite's pre-bundled deps too: remember
      // those that load a `.wasm`, whose glue names its allocators.
      noteGlue(code, id);
      // Dev serves worker entries as `…?worker_file&type=module` (builds use workerEntryPlugin).
      // On line 1, so the worker's source map stays right.
      if (config.command === 'serve' && /[?&]worker_file&type=module\b/.test(id)) return { code: `import "/${INJECTED.worker}";${code}`, map: null };
      return undefined;
    },

    configureServer(server) {
      // First of all middlewares (Vite's own come after the plugins'), so every response has them.
      if (options.crossOriginIsolated) server.middlewares.use(isolate);
      const live = new LiveHub(server.ws, `${config.base}${MOUNT}snapshots/`, (m) => config.logger.warn(m, { timestamp: true }));
      hub = live;
      server.middlewares.use(endpoints({ base: config.base, https: !!config.server.https, hub: live, viewerDist: viewerDist() }));
      server.middlewares.use(async (req, res, next) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') return next();
        const file = wasmFileOf(req.url ?? '/', config);
        if (!file || !traced(file)) return next();
        const bytes = new Uint8Array(readFileSync(file));
        const glue = glueOf(file);
        const out = await instrumentFile(bytes, file, glue);
        if (!out) return next();
        // Other glue, other result: a copy the browser got untraced, before the glue was seen, is not reused.
        const etag = `"wtm-${cache.keyOf(bytes, glue)}"`;
        if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
        res.writeHead(200, { 'content-type': 'application/wasm', 'content-length': out.length, 'cache-control': 'no-cache', etag });
        res.end(req.method === 'HEAD' ? undefined : out);
      });
      printViewerUrl(server);
    },

    configurePreviewServer(server) {
      if (options.crossOriginIsolated) server.middlewares.use(isolate);
    },

    generateBundle: {
      // 'post': after Vite has emitted the workers' assets into this bundle.
      order: 'post',
      async handler(_output, bundle) {
        for (const asset of Object.values(bundle)) {
          if (asset.type !== 'asset' || !asset.fileName.endsWith('.wasm')) continue;
          // Worker assets are re-emitted here without their source name: workerEntryPlugin noted it.
          const source = asset.originalFileNames?.[0] ?? workerAssetSources.get(asset.fileName) ?? asset.fileName;
          const file = join(config.root, source);
          if (!traced(file)) continue;
          const out = await instrumentFile(toBytes(asset.source), file);
          if (out) asset.source = out;
        }
      },
    },

    async writeBundle(output) {
      // public/ is copied into outDir as it is: trace its .wasm files there.
      const { publicDir } = config;
      if (!publicDir || !config.build.copyPublicDir || !output.dir) return;
      for (const rel of wasmFilesUnder(publicDir)) {
        const source = join(publicDir, rel);
        if (!traced(source)) continue;
        const out = await instrumentFile(new Uint8Array(readFileSync(source)), source);
        if (out) writeFileSync(join(output.dir, rel), out);
      }
    },
  };
}

/**
 * In each worker bundle of a build, the worker's entry imports worker.js first. (The
 * worker's `.wasm` assets reach the page's bundle, where generateBundle traces them.)
 */
function workerEntryPlugin(startWith: StartSettings, assetSources: Map<string, string>, noteGlue: (code: string, id: string) => void): Plugin {
  let entries = new Set<string>();
  return {
    name: 'wasm-tracemalloc:worker',
    options(input) {
      const list = typeof input.input === 'string' ? [input.input] : Array.isArray(input.input) ? input.input : Object.values(input.input ?? {});
      entries = new Set(list);
      return null;
    },
    resolveId: (source) => resolveInjected(source),
    load: (id) => loadInjected(id, { ...startWith, serve: false }),
    transform(code, id) {
      // A worker's glue (a worker bundle's modules pass here, not through the page's plugin).
      noteGlue(code, id);
      if (entries.has(id.split('?')[0])) return { code: `import "/${INJECTED.worker}";${code}`, map: null };
      return undefined;
    },
    generateBundle(_output, bundle) {
      for (const asset of Object.values(bundle)) {
        const source = asset.type === 'asset' ? asset.originalFileNames?.[0] : undefined;
        if (source && asset.fileName.endsWith('.wasm')) assetSources.set(asset.fileName, source);
      }
    },
  };
}

function toBytes(source: string | Uint8Array): Uint8Array {
  return typeof source === 'string' ? new TextEncoder().encode(source) : source;
}

function wasmFilesUnder(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.wasm'));
  } catch {
    return [];
  }
}

/** This package's folder and the runtime's (real paths, as Vite's module ids are). */
function ownPackageDirs(): string[] {
  const dirs = [join(dirname(fileURLToPath(import.meta.url)), '..', '..')];
  try {
    // dist/index.js: its package.json is not exported.
    dirs.push(join(dirname(createRequire(import.meta.url).resolve('@wasm-tracemalloc/runtime')), '..'));
  } catch {
    // not installed beside this package
  }
  return dirs.flatMap((d) => {
    try {
      return [realpathSync(d) + '/'];
    } catch {
      return [];
    }
  });
}

/** The viewer's built app, if the package is installed (it may not be built yet). */
function viewerDist(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@wasm-tracemalloc/viewer/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

/** Adds our URLs under Vite's own at start-up ("➜  Local: …"). */
function printViewerUrl(server: ViteDevServer): void {
  const print = server.printUrls.bind(server);
  server.printUrls = () => {
    print();
    const first = server.resolvedUrls?.local[0] ?? server.resolvedUrls?.network[0];
    if (!first) return;
    const color = process.stdout.isTTY && !process.env.NO_COLOR;
    const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[39m` : s);
    const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[22m` : s);
    const viewer = new URL(MOUNT, first).href;
    server.config.logger.info(`  ${paint(32, '➜')}  ${bold('Tracemalloc')}: ${paint(36, viewer)}`);
    server.config.logger.info(`  ${paint(32, '➜')}  ${bold('Live')}:        ${paint(36, `${viewer}live/`)}`);
  };
}
