// The API run of a driver: `node api-runner.mjs DRIVER OUT.json`. Traces in process with
// the public API (installNode, start, takeSnapshot, getDomains, getTracerStats), runs
// the driver's workload with a checkpoint callback, prints the driver's lines on stdout
// (the test compares them with the untraced run) and writes, per checkpoint, what each
// traced module holds (its blocks, bytes, the sorted sizes of its blocks, and its blocks
// and bytes per allocation site) and the peak of traced memory since the previous checkpoint.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tm from 'wasm-tracemalloc';

const [driver, out] = process.argv.slice(2);

// Emscripten's glue puts the script path (process.argv[1]) and navigator.language (Node
// 21+) into the environment strings it allocates for the C library: pin both, so that
// the bytes traced do not depend on where the checkout is or on the Node version.
process.argv = [process.argv[0], 'real-world-driver'];
if ('navigator' in globalThis) Object.defineProperty(globalThis, 'navigator', { value: undefined, configurable: true });

tm.installNode();
tm.start(1);

const checkpoints = [];
function checkpoint(label) {
  const snapshot = tm.takeSnapshot();
  const [, peak] = tm.getTracedMemory();
  tm.resetPeak();
  const names = new Map(snapshot.domains.map((d) => [d.id, d.name]));
  const modules = {};
  for (const t of snapshot.traces) {
    const name = names.get(t.domain) ?? `domain ${t.domain}`;
    const m = (modules[name] ??= { blocks: 0, bytes: 0, sizes: [], sites: {} });
    m.blocks++;
    m.bytes += t.size;
    m.sizes.push(t.size);
    const site = (m.sites[String(t.traceback)] ??= { blocks: 0, bytes: 0 });
    site.blocks++;
    site.bytes += t.size;
  }
  for (const m of Object.values(modules)) m.sizes.sort((a, b) => a - b);
  checkpoints.push({ label, peak, modules, stats: tm.getTracerStats() });
}

const { run } = await import(pathToFileURL(resolve(driver)).href);
const lines = await run(checkpoint);
checkpoint('end');
for (const line of lines) process.stdout.write(`${line}\n`);
const freeErrors = tm.getFreeErrors().slice(0, 10).map((e) => `${e.kind} free in ${e.module} at ${e.site}${e.allocatedAt ? ` (allocated at ${e.allocatedAt})` : ''}`);
writeFileSync(out, JSON.stringify({ domains: tm.getDomains(), checkpoints, freeErrors }));
