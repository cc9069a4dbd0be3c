import { describe, expect, it } from 'vitest';
import { withPreload } from './worker-preload.js';

const PRELOAD = 'file:///x/preload.js';
const ENV = { WASM_TRACEMALLOC_PRELOAD: '{"nframe":1}' };

describe('withPreload', () => {
  it('leaves a worker that inherits execArgv as it is: Node runs the preload there', () => {
    expect(withPreload('/app/w.js', undefined, PRELOAD, ENV)).toEqual(['/app/w.js', undefined]);
    expect(withPreload('/app/w.js', { workerData: 1 }, PRELOAD, ENV)).toEqual(['/app/w.js', { workerData: 1 }]);
  });

  it('puts our --import before an explicit execArgv (napi-rs), once', () => {
    expect(withPreload('/app/w.js', { execArgv: ['--experimental-wasi-unstable-preview1'] }, PRELOAD, ENV)[1]).toEqual({
      execArgv: ['--import', PRELOAD, '--experimental-wasi-unstable-preview1'],
    });
    const already = { execArgv: ['--import', PRELOAD] };
    expect(withPreload('/app/w.js', already, PRELOAD, ENV)[1]).toBe(already);
  });

  it('runs eval code by indirect eval after importing the preload', () => {
    const [code, options] = withPreload('var x = 1;', { eval: true }, PRELOAD, ENV);
    expect(code).toBe(`import("${PRELOAD}").then(() => (0, eval)("var x = 1;"), () => (0, eval)("var x = 1;"));`);
    expect(options).toEqual({ eval: true });
  });

  it("adds our configuration to a worker's own env, which wins where both set a name", () => {
    expect(withPreload('/app/w.js', { env: { A: '1' } }, PRELOAD, ENV)[1]).toEqual({ env: { ...ENV, A: '1' } });
  });
});
