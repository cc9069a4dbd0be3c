/**
 * Threads in the browser: a cross-origin isolated page shares its tracer (the
 * runtime's shareTracer()) with the workers it makes, so that a program on threads
 * (one module on one shared memory in every thread) is traced as one program, into
 * the page's trace table. The handle travels as the first message a worker gets,
 * posted by the Worker constructor before the app can post anything, and the worker's
 * side (first import of its entry) takes it before the app's listeners can see it.
 *
 * Only workers that run the plugin's worker module get it: the dev server's module
 * worker entries (`?worker_file&type=module`, index.ts's transform). Any other worker
 * (classic, blob:, another origin's) would see a message it does not expect.
 */

import { isTracerHandle, joinTracer, type TracerHandle } from '@wasm-tracemalloc/runtime';

/** The key of the message that carries the tracer (a string: symbols are not cloned). */
export const TRACER_MESSAGE_KEY = '__wasmTracemallocTracer';

/** True if a worker made from `url` (resolved against `base`) runs the plugin's worker module first. */
export function reachesWorker(url: unknown, base: string): boolean {
  let href: URL;
  try {
    href = new URL(String(url), base);
  } catch {
    return false;
  }
  return href.origin === new URL(base).origin && /[?&]worker_file&type=module(?:&|$)/.test(href.search);
}

/** The tracer a message carries, if it is the plugin's message. */
export function tracerOf(data: unknown): TracerHandle | 'not-ours' | 'invalid' {
  if (typeof data !== 'object' || data === null || !(TRACER_MESSAGE_KEY in data)) return 'not-ours';
  const handle = (data as Record<string, unknown>)[TRACER_MESSAGE_KEY];
  return isTracerHandle(handle) ? handle : 'invalid';
}

interface WorkerScope {
  Worker?: unknown;
}

/**
 * Replaces `scope.Worker` by a constructor that posts `tracer()` (when it gives one)
 * to each new worker the plugin reaches, before anything else. A Proxy, so that
 * `Worker.prototype`, `instanceof Worker` and the constructor's name stay the browser's.
 */
export function shareWithWorkers(scope: WorkerScope, base: string, tracer: () => TracerHandle | undefined): void {
  const Native = scope.Worker as (new (url: string | URL, options?: unknown) => { postMessage(data: unknown): void }) | undefined;
  if (typeof Native !== 'function') return;
  const postMessage = Native.prototype.postMessage;
  scope.Worker = new Proxy(Native, {
    construct(target, args, newTarget) {
      const worker = Reflect.construct(target, args, newTarget) as InstanceType<typeof Native>;
      if (reachesWorker(args[0], base)) {
        const handle = tracer();
        if (handle) postMessage.call(worker, { [TRACER_MESSAGE_KEY]: handle });
      }
      return worker;
    },
  });
}

export type JoinResult =
  /** Traces into the page's tracer: its blocks are in the page's snapshots. */
  | { joined: true; handle: TracerHandle }
  /** Traces into a table of its own, as without threads; `why` when the tracer came but could not be joined. */
  | { joined: false; why?: string };

export interface TracerWait {
  /** A traced module was instantiated: from now on this thread keeps the table it traced into. */
  moduleSeen(): void;
}

/**
 * In a worker: waits for the tracer its creator posts first. Settles (`settled`, once)
 * on the first of: the tracer's message (joined), another message (its creator shares
 * nothing), a traced module instantiated before either (already tracing on its own).
 * The tracer's message never reaches the app: this listener is registered before the
 * app's, and stops it.
 */
export function awaitTracer(scope: EventTarget, settled: (result: JoinResult) => void, join: (handle: TracerHandle) => boolean = joinTracer): TracerWait {
  let done = false;
  const settle = (result: JoinResult) => {
    if (done) return;
    done = true;
    settled(result);
  };
  scope.addEventListener('message', (event) => {
    const found = tracerOf((event as MessageEvent).data);
    if (found === 'not-ours') return settle({ joined: false });
    event.stopImmediatePropagation();
    if (done) return;
    if (found === 'invalid') return settle({ joined: false, why: 'the message that carries the tracer holds no tracer' });
    let joined = false;
    let why = 'the page already traces 256 threads, the most its tracer holds';
    try {
      joined = join(found);
    } catch (error) {
      why = `joining the tracer failed (${error instanceof Error ? error.message : String(error)})`;
    }
    settle(joined ? { joined: true, handle: found } : { joined: false, why });
  });
  return { moduleSeen: () => settle({ joined: false }) };
}
