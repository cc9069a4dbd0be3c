// What must hold for every input, checked in a worker process (worker.mjs).
//
// instrument(bytes) either
//   (a) refuses with an InstrumentError: one line that names the input, not marked internal;
//   (b) returns bytes V8 accepts, whose site table the runtime reads, and which
//       instantiate with the runtime's imports whenever the input instantiated with
//       the same (stub) imports; or
//   (c) returns the input unchanged, with a warning or a note saying why.
// Snapshot.load(bytes) either throws InvalidSnapshotError with a one-line message
// naming the file, or loads a snapshot whose model works (statistics, compare,
// dump and load again); `show` agrees (exit 0, or exit 2 with that one line).
// Neither may print anything (binaryen's source, a Fatal: line) or throw anything
// else. Time and memory bounds are the runner's (campaign.mjs).
//
// A check returns { verdict } when the property holds (which way), else { defect, detail }:
// `defect` is the class (stable across mutants: numbers and quoted names replaced),
// `detail` the full message for the report.

import { writeFileSync } from 'node:fs';
import { instrument, InstrumentError } from '@wasm-tracemalloc/instrument';
import { instantiateTraced, siteTableOf } from '@wasm-tracemalloc/runtime';
import { InvalidSnapshotError, Snapshot } from '@wasm-tracemalloc/runtime/model';
import { main as cli } from 'wasm-tracemalloc/cli';
import { wasmSections } from './mutators.mjs';

/** A message with what varies between mutants removed: the class of a defect. */
export function defectClass(prefix, message) {
  // What follows " (" is the specific case (a byte offset, the JSON text around an error).
  const first = String(message).split('\n')[0].split(' (')[0];
  const general = first
    .replace(/"[^"]*"|'[^']*'|`[^`]*`/g, '"…"')
    .replace(/0x[0-9a-f]+/gi, 'N')
    .replace(/\d+/g, 'N')
    .slice(0, 120);
  return `${prefix}: ${general}`;
}

function describeThrown(e) {
  if (e instanceof Error) return { name: e.name || e.constructor?.name || 'Error', message: e.message, stack: e.stack };
  if (e && typeof e === 'object' && typeof e.message === 'string') return { name: 'non-Error object', message: e.message, stack: undefined };
  let text;
  try {
    text = JSON.stringify(e);
  } catch {
    text = String(e);
  }
  return { name: `non-Error ${e === null ? 'null' : typeof e}`, message: text ?? String(e), stack: undefined };
}

/**
 * Runs `fn` with everything written to stdout and stderr (console included, which
 * writes through them) captured instead of printed.
 */
async function captured(fn) {
  const writes = { stdout: '', stderr: '' };
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const stream of ['stdout', 'stderr']) {
    process[stream].write = (chunk, ...rest) => {
      writes[stream] += String(chunk);
      const done = rest.find((a) => typeof a === 'function');
      if (done) done();
      return true;
    };
  }
  try {
    return { value: await fn(), ...writes };
  } catch (error) {
    return { error, ...writes };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
}

function noise(run, what) {
  const text = run.stdout || run.stderr;
  if (!text) return undefined;
  const stream = run.stdout ? 'stdout' : 'stderr';
  return { defect: defectClass(`${what} writes to ${stream}`, text.trim().slice(0, 200)), detail: text.slice(0, 2000) };
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Imports that satisfy a module's function imports (each throws if called); undefined if it imports anything else. */
function stubImports(module) {
  const imports = {};
  for (const { module: ns, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== 'function') return undefined;
    (imports[ns] ??= {})[name] = () => {
      throw new Error(`fuzz: stub import ${ns}.${name} called`);
    };
  }
  return imports;
}

/** Whether `bytes` instantiate with stub imports; undefined when that cannot be tried safely. */
function instantiatesPlain(bytes) {
  // A start function of mutated code may loop forever; the instance is not worth a hang.
  if (wasmSections(bytes).some((s) => s.id === 8)) return undefined;
  let module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch {
    return undefined;
  }
  const imports = stubImports(module);
  if (!imports) return undefined;
  try {
    new WebAssembly.Instance(module, imports);
    return imports;
  } catch {
    return undefined;
  }
}

export async function checkInstrument(bytes, { source = 'mutant.wasm', sourceMaps = {}, options = {} } = {}) {
  const run = await captured(() => instrument(bytes, { ...options, source, readSourceMap: (url) => sourceMaps[url] }));
  if (run.error !== undefined) {
    const e = run.error;
    if (!(e instanceof InstrumentError)) {
      const t = describeThrown(e);
      return { defect: defectClass(`instrument throws ${t.name}`, t.message), detail: t.stack ?? t.message };
    }
    if (e.internal === true || e.kind === 'internal') return { defect: defectClass('internal InstrumentError', e.message), detail: e.stack };
    if (e.message.includes('\n')) return { defect: defectClass('InstrumentError of several lines', e.message), detail: e.message };
    if (!e.message.includes(source)) return { defect: defectClass('InstrumentError that does not name the input', e.message), detail: e.message };
    // Allowed, but worth counting: V8 would have run this module (issue 15 wants damaged names ignored, not refused).
    return noise(run, 'a refused instrument') ?? { verdict: `refused (${e.kind ?? 'no kind'})${WebAssembly.validate(bytes) ? ', though V8 accepts it' : ''}` };
  }
  const result = run.value;
  const loud = noise(run, 'instrument');
  if (loud) return loud;
  if (result.status !== 'instrumented') {
    if (!equalBytes(result.bytes, bytes)) return { defect: `status ${result.status} with changed bytes`, detail: `${bytes.length} bytes in, ${result.bytes.length} out` };
    if (!result.warnings.length && !result.note) return { defect: `status ${result.status} without a warning or note`, detail: '' };
    return { verdict: 'unchanged, with a warning' };
  }
  if (!WebAssembly.validate(result.bytes)) {
    let message = 'does not validate';
    try {
      new WebAssembly.Module(result.bytes);
    } catch (e) {
      message = e.message;
    }
    return { defect: defectClass('V8 rejects the output', message), detail: message };
  }
  try {
    if (!siteTableOf(result.bytes, source)) return { defect: 'output has no site table', detail: '' };
  } catch (e) {
    const t = describeThrown(e);
    return { defect: defectClass(`runtime cannot read the output's site table (${t.name})`, t.message), detail: t.stack ?? t.message };
  }
  const imports = instantiatesPlain(bytes);
  if (imports) {
    const linked = await captured(() => instantiateTraced(result.bytes, imports, { name: source, ...(options.symbols === 'side' && { sites: result.siteTable }) }));
    if (linked.error !== undefined) {
      const t = describeThrown(linked.error);
      return { defect: defectClass(`output does not instantiate, the input does (${t.name})`, t.message), detail: t.stack ?? t.message };
    }
    return noise(linked, 'instantiateTraced') ?? { verdict: 'instrumented and instantiated' };
  }
  return { verdict: 'instrumented, valid' };
}

function checkSnapshotError(e, file, what) {
  if (!(e instanceof InvalidSnapshotError)) {
    const t = describeThrown(e);
    return { defect: defectClass(`${what} throws ${t.name}`, t.message), detail: t.stack ?? t.message };
  }
  if (e.message.includes('\n')) return { defect: defectClass('InvalidSnapshotError of several lines', e.message), detail: e.message };
  if (!e.message.includes(file)) return { defect: defectClass('InvalidSnapshotError that does not name the file', e.message), detail: e.message };
  return undefined;
}

/** Every view `show` and the viewer compute, so a snapshot that loads is one that works. */
function useModel(snapshot) {
  for (const key of ['lineno', 'filename', 'traceback']) snapshot.statistics(key);
  snapshot.statistics('lineno', true);
  snapshot.statistics('filename', true);
  snapshot.compareTo(snapshot, 'lineno');
  Snapshot.load(snapshot.dump(), 'the dump of a loaded snapshot');
}

export async function checkSnapshot(bytes, { file }) {
  writeFileSync(file, bytes);
  const load = await captured(() => {
    const snapshot = Snapshot.load(bytes, file);
    useModel(snapshot);
    return snapshot;
  });
  if (load.error !== undefined) {
    const bad = checkSnapshotError(load.error, file, 'Snapshot.load');
    if (bad) return bad;
  }
  const loud = noise(load, 'Snapshot.load');
  if (loud) return loud;

  const show = await captured(() => cli(['show', file, '--top', '3']));
  if (show.error !== undefined) {
    const t = describeThrown(show.error);
    return { defect: defectClass(`show throws ${t.name}`, t.message), detail: t.stack ?? t.message };
  }
  const loaded = load.error === undefined;
  if (loaded && show.value !== 0) return { defect: `show exits ${show.value} on a snapshot that loads`, detail: show.stderr };
  if (!loaded) {
    if (show.value !== 2) return { defect: `show exits ${show.value} on a snapshot that does not load`, detail: show.stderr };
    const lines = show.stderr.trimEnd().split('\n');
    if (lines.length !== 1 || !lines[0].includes(file)) return { defect: 'show: error is not one line naming the file', detail: show.stderr };
    if (show.stdout) return { defect: 'show prints a report for a snapshot that does not load', detail: show.stdout.slice(0, 500) };
  }
  return { verdict: loaded ? 'loaded' : 'refused' };
}
