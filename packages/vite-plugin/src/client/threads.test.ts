import { describe, expect, it } from 'vitest';
import { shareTracer, type TracerHandle } from '@wasm-tracemalloc/runtime';
import { awaitTracer, reachesWorker, shareWithWorkers, TRACER_MESSAGE_KEY, tracerOf, type JoinResult } from './threads.js';

const PAGE = 'http://127.0.0.1:5173/app/index.html';
// A real handle (the runtime's), as a page makes it: isTracerHandle checks its parts.
const handle = shareTracer();

describe('reachesWorker', () => {
  it("is true for the dev server's module worker entries only, which the plugin's worker module runs first in", () => {
    expect(reachesWorker('/app/worker.js?worker_file&type=module', PAGE)).toBe(true);
    expect(reachesWorker(new URL('http://127.0.0.1:5173/src/w.ts?t=1&worker_file&type=module'), PAGE)).toBe(true);
    // Classic workers are not transformed (no worker module in them); nor is anything else.
    expect(reachesWorker('/app/worker.js?worker_file&type=classic', PAGE)).toBe(false);
    expect(reachesWorker('/app/worker.js', PAGE)).toBe(false);
    expect(reachesWorker('/emscripten/app.worker.js', PAGE)).toBe(false);
    expect(reachesWorker('blob:http://127.0.0.1:5173/0b1c', PAGE)).toBe(false);
    expect(reachesWorker('http://other.example/w.js?worker_file&type=module', PAGE)).toBe(false);
    expect(reachesWorker('/w.js?worker_file&type=modules', PAGE)).toBe(false);
    expect(reachesWorker('http://[bad', PAGE)).toBe(false);
  });
});

describe('tracerOf', () => {
  it("tells the plugin's message from the app's", () => {
    expect(tracerOf({ [TRACER_MESSAGE_KEY]: handle })).toBe(handle);
    expect(tracerOf({ [TRACER_MESSAGE_KEY]: { core: {}, registry: new ArrayBuffer(8) } })).toBe('invalid');
    for (const data of [undefined, null, 7, 'x', { op: 'make' }, [handle]]) expect(tracerOf(data)).toBe('not-ours');
  });
});

/** A Worker stand-in that records what is posted to it, as the browser's would deliver it. */
class FakeWorker {
  static made: FakeWorker[] = [];
  readonly posted: unknown[] = [];
  constructor(
    readonly url: string | URL,
    readonly options?: unknown,
  ) {
    FakeWorker.made.push(this);
  }
  postMessage(data: unknown): void {
    this.posted.push(data);
  }
}

describe('shareWithWorkers', () => {
  it('posts the tracer first to each worker the plugin reaches, before the app posts anything; others get nothing', () => {
    const scope: { Worker?: unknown } = { Worker: FakeWorker };
    let asked = 0;
    shareWithWorkers(scope, PAGE, () => (asked++, handle));
    const Worker = scope.Worker as typeof FakeWorker;
    expect(Worker).not.toBe(FakeWorker);
    expect(Worker.name).toBe('FakeWorker');
    expect(Worker.prototype).toBe(FakeWorker.prototype);

    const traced = new Worker('./worker.js?worker_file&type=module', { type: 'module' });
    traced.postMessage({ op: 'make' });
    const other = new Worker('/emscripten/app.worker.js');
    other.postMessage({ cmd: 'load' });
    expect(traced).toBeInstanceOf(FakeWorker);
    expect(traced).toBeInstanceOf(Worker);
    expect(traced.options).toEqual({ type: 'module' });
    expect(traced.posted).toEqual([{ [TRACER_MESSAGE_KEY]: handle }, { op: 'make' }]);
    expect(other.posted).toEqual([{ cmd: 'load' }]);
    // The tracer is asked for only when a worker that can use it is made.
    expect(asked).toBe(1);
  });

  it('posts nothing when there is no tracer to share, and leaves a scope without Worker alone', () => {
    const scope: { Worker?: unknown } = { Worker: FakeWorker };
    shareWithWorkers(scope, PAGE, () => undefined);
    const w = new (scope.Worker as typeof FakeWorker)('/w.js?worker_file&type=module');
    expect(w.posted).toEqual([]);
    const none: { Worker?: unknown } = {};
    shareWithWorkers(none, PAGE, () => handle);
    expect(none).toEqual({});
  });
});

describe('awaitTracer', () => {
  /** A worker's global scope: the plugin's listener first, then the app's. */
  function worker(join: (h: TracerHandle) => boolean = () => true) {
    const scope = new EventTarget();
    const results: JoinResult[] = [];
    const wait = awaitTracer(scope, (r) => results.push(r), join);
    const app: unknown[] = [];
    scope.addEventListener('message', (e) => app.push((e as MessageEvent).data));
    const post = (data: unknown) => scope.dispatchEvent(new MessageEvent('message', { data }));
    return { wait, results, app, post };
  }

  it('joins with the first message when it carries the tracer, which the app never sees', () => {
    const joined: TracerHandle[] = [];
    const w = worker((h) => (joined.push(h), true));
    w.post({ [TRACER_MESSAGE_KEY]: handle });
    w.post({ op: 'make' });
    w.wait.moduleSeen();
    expect(joined).toEqual([handle]);
    expect(w.results).toEqual([{ joined: true, handle }]);
    expect(w.app).toEqual([{ op: 'make' }]);
  });

  it("settles unjoined on the app's first message, or a module instantiated first; a later tracer is still kept from the app", () => {
    const first = worker();
    first.post({ op: 'make' });
    first.post({ [TRACER_MESSAGE_KEY]: handle });
    expect(first.results).toEqual([{ joined: false }]);
    expect(first.app).toEqual([{ op: 'make' }]);

    const early = worker();
    early.wait.moduleSeen();
    early.post({ [TRACER_MESSAGE_KEY]: handle });
    expect(early.results).toEqual([{ joined: false }]);
    expect(early.app).toEqual([]);
  });

  it('says why when the tracer came but could not be joined', () => {
    const full = worker(() => false);
    full.post({ [TRACER_MESSAGE_KEY]: handle });
    expect(full.results).toEqual([{ joined: false, why: 'the page already traces 256 threads, the most its tracer holds' }]);
    const broken = worker(() => {
      throw new Error('no memory');
    });
    broken.post({ [TRACER_MESSAGE_KEY]: handle });
    expect(broken.results).toEqual([{ joined: false, why: 'joining the tracer failed (no memory)' }]);
    const invalid = worker();
    invalid.post({ [TRACER_MESSAGE_KEY]: 'nope' });
    expect(invalid.results).toEqual([{ joined: false, why: 'the message that carries the tracer holds no tracer' }]);
    expect([full.app, broken.app, invalid.app]).toEqual([[], [], []]);
  });
});
