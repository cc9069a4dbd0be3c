// Workers under `wasm-tracemalloc node`: a worker our --import preload would not reach
// (an eval worker; one with an explicit execArgv, as napi-rs's wasi worker template
// starts them) must not break the program, and the process reports once.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPath } from './fixtures/facts.js';
import { cliRunner, tempDir } from './cli-helpers.js';

const tmp = tempDir('wtm-cli-workers-');
const cli = cliRunner(join(tmp, 'cache')).run;
const LIB_RS = JSON.stringify(buildPath('lib_rs.wasm'));
const dist = (file: string) => JSON.stringify(pathToFileURL(join(__dirname, '..', 'packages', file)).href);

/** A worker that instantiates the Module the main thread posts, allocates `count` × `size` B, replies and exits on its own. */
const WORKER_BODY = (count: number, size: number) => `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', async (module) => {
  const { exports } = await WebAssembly.instantiate(module, {});
  parentPort.postMessage(exports.alloc_blocks(${count}, ${size}));
  parentPort.close();
});`;

describe('wasm-tracemalloc node: workers', () => {
  it('runs a napi-rs style worker (explicit execArgv) and an eval worker on the traced module, reporting once', () => {
    writeFileSync(join(tmp, 'worker.cjs'), WORKER_BODY(3, 100));
    const script = join(tmp, 'app.mjs');
    writeFileSync(
      script,
      `import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
const module = new WebAssembly.Module(readFileSync(${LIB_RS}));
const ask = (worker) => new Promise((resolve, reject) => {
  worker.once('message', resolve);
  worker.once('error', reject);
  worker.postMessage(module);
});
const exited = (worker) => new Promise((resolve) => worker.once('exit', resolve));
// napi-rs's wasi-worker template: new Worker(path, { env: process.env, execArgv: ['--experimental-wasi-unstable-preview1'] })
const napi = new Worker(new URL('./worker.cjs', import.meta.url), { env: process.env, execArgv: ['--no-warnings'] });
console.log('execArgv worker', await ask(napi), 'exit', await exited(napi));
const evalWorker = new Worker(${JSON.stringify(WORKER_BODY(4, 1000))}, { eval: true });
console.log('eval worker', await ask(evalWorker), 'exit', await exited(evalWorker));
console.log('main', new WebAssembly.Instance(module, {}).exports.alloc_blocks(2, 50));
`,
    );
    const r = cli(['node', '--symbols', 'none', script]);
    expect(r.stderr).not.toMatch(/Import #\d|LinkError|not an object or function/);
    expect(r.stdout).toBe('execArgv worker 3 exit 0\neval worker 4 exit 0\nmain 2\n');
    expect(r.status).toBe(0);
    // The preload reached both workers: no module ran on the untraced fallback.
    expect(r.stderr).not.toContain('runs untraced');
    // One report, the main thread's, with every thread's blocks: the workers trace into the
    // tracer the main thread shares, under the name the main thread gave the module.
    expect(r.stderr.match(/^wasm-tracemalloc: peak/gm)).toHaveLength(1);
    expect(r.stderr).toMatch(/^wasm-tracemalloc: peak 4400 B, current 4400 B in 9 blocks/m);
    expect(r.stderr).toMatch(/^#1: lib_rs\.wasm:_ZN6lib_rs11alloc_block\w*\+0x[0-9a-f]+: size=4400 B, count=9, average=489 B$/m);
    // By thread: the eval worker's 4 × 1000 B, the execArgv worker's 3 × 100 B, main's 2 × 50 B.
    const byThread = r.stderr.slice(r.stderr.indexOf('By thread (3 threads)'));
    expect(byThread).toMatch(/^thread \d+: size=4000 B, count=4\n {4}lib_rs\.wasm:\S+: size=4000 B, count=4, average=1000 B\nthread \d+: size=300 B, count=3\n {4}lib_rs\.wasm:\S+: size=300 B, count=3, average=100 B\nmain thread: size=100 B, count=2\n/m);
  });

  it('a thread without the tracer runs an instrumented module untraced, with a warning, where it would fail to link', () => {
    // Plain node, no preload: the main thread instruments lib_rs.wasm with the real pass
    // and posts the Module to two eval workers; only the first has the fallback.
    const script = join(tmp, 'fallback.mjs');
    writeFileSync(
      script,
      `import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
const { instrument } = await import(${dist('instrument/dist/index.js')});
const result = instrument(readFileSync(${LIB_RS}), { source: 'lib_rs.wasm' });
if (result.status !== 'instrumented') throw new Error(result.status);
const module = new WebAssembly.Module(result.bytes);
const ask = (worker) => new Promise((resolve) => {
  worker.once('message', (m) => resolve('replied ' + m));
  worker.once('error', (e) => resolve('failed: ' + e.message));
  worker.postMessage(module);
});
const body = ${JSON.stringify(WORKER_BODY(5, 10))};
const withFallback = new Worker('import(' + JSON.stringify(${dist('cli/dist/untraced-fallback.js')}) + ').then((m) => { m.installUntracedFallback(); (0, eval)(' + JSON.stringify(body) + '); });', { eval: true });
console.log('with the fallback:', await ask(withFallback));
console.log('without:', await ask(new Worker(body, { eval: true })));
`,
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.stdout).toContain('with the fallback: replied 5\n');
    expect(r.stdout).toMatch(/^without: failed: WebAssembly\.instantiate\(\): Import #\d+ module="wasm-tracemalloc" error: module is not an object or function$/m);
    expect(r.stderr).toMatch(/^wasm-tracemalloc: warning: worker thread \d+: an instrumented module runs untraced \(the tracer is not installed in this thread\)$/m);
  });
});
