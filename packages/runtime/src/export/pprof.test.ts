import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DomainFilter, Snapshot, SnapshotBuilder, type FrameData } from '../model/index.js';
import { decodePprof, gzipPprof, snapshotToPprof } from './pprof.js';

const main: FrameData = { filename: 'main.c', lineno: 30, function: 'main' };
const buildIndex: FrameData = { filename: 'index.c', lineno: 12, function: 'build_index' };
const nodeNew: FrameData = { filename: 'node.c', lineno: 5, function: 'node_new' };
const nodeNewAgain: FrameData = { filename: 'node.c', lineno: 9, function: 'node_new' };
const leakSite: FrameData = { filename: 'leak.wasm', lineno: 0, function: 'leak', offset: 0x1bc };
const unnamed: FrameData = { filename: 'util.c', lineno: 7 };

/** The profile as plain data: strings resolved, each sample's stack leaf first. */
function readable(bytes: Uint8Array) {
  const p = decodePprof(bytes);
  const s = (i: unknown) => p.stringTable.strings[Number(i)];
  const fn = new Map(p.function.map((f) => [Number(f.id), f]));
  const loc = new Map(p.location.map((l) => [Number(l.id), l]));
  const frame = (id: unknown) => {
    const l = loc.get(Number(id))!;
    return l.line.map((line) => {
      const f = fn.get(Number(line.functionId))!;
      return `${s(f.name)} ${s(f.filename)}:${Number(line.line)}${Number(l.address) ? ` @0x${Number(l.address).toString(16)}` : ''}`;
    }).join(' | ');
  };
  return {
    strings: p.stringTable.strings,
    sampleTypes: p.sampleType.map((t) => `${s(t.type)}/${s(t.unit)}`),
    periodType: `${s(p.periodType!.type)}/${s(p.periodType!.unit)}`,
    period: Number(p.period),
    defaultSampleType: s(p.defaultSampleType),
    timeNanos: BigInt(p.timeNanos),
    comments: p.comment.map(s),
    functions: p.function.map((f) => `${s(f.name)} ${s(f.filename)}`),
    locations: p.location.length,
    samples: p.sample.map((x) => ({
      values: x.value.map(Number),
      domain: x.label.map((l) => `${s(l.key)}=${s(l.str)}`).join(','),
      stack: x.locationId.map(frame),
    })),
  };
}

function multiFrameSnapshot(): Snapshot {
  return new Snapshot(
    new SnapshotBuilder(4)
      .addMany(3, 1, 32, [main, buildIndex, nodeNew])
      .add(1, 48, [main, buildIndex, nodeNew], 9) // deeper stack, same frames: same sample
      .addMany(2, 1, 100, [main, leakSite])
      .add(1, 24, [main, buildIndex, nodeNewAgain])
      .add(2, 64, [main, buildIndex, nodeNew])
      .add(1, 16, [unnamed])
      .build({ domains: [{ id: 1, name: 'app.wasm' }, { id: 2, name: 'plugin.wasm' }], meta: { timestamp: 1795593344671.5 } }),
  );
}

const appStack = ['node_new node.c:5', 'build_index index.c:12', 'main main.c:30'];

describe('snapshotToPprof', () => {
  it('writes one sample per traceback and domain, locations leaf first, with exact inuse values', () => {
    const p = readable(snapshotToPprof(multiFrameSnapshot()));
    expect(p.strings[0]).toBe('');
    expect(p.sampleTypes).toEqual(['inuse_objects/count', 'inuse_space/bytes']);
    expect(p.defaultSampleType).toBe('inuse_space');
    expect(p.periodType).toBe('space/bytes');
    expect(p.period).toBe(1);
    expect(p.timeNanos).toBe(1795593344671500000n);
    // Domains by ascending id, then Snapshot.statistics order (largest first). The
    // 48 B block whose stack was deeper (totalNframe 9) joins the 3 × 32 B sample.
    expect(p.samples).toEqual([
      { values: [2, 200], domain: 'domain=app.wasm', stack: ['leak leak.wasm:0 @0x1bc', 'main main.c:30'] },
      { values: [4, 144], domain: 'domain=app.wasm', stack: appStack },
      { values: [1, 24], domain: 'domain=app.wasm', stack: ['node_new node.c:9', 'build_index index.c:12', 'main main.c:30'] },
      { values: [1, 16], domain: 'domain=app.wasm', stack: ['util.c:7 util.c:7'] },
      { values: [1, 64], domain: 'domain=plugin.wasm', stack: appStack },
    ]);
  });

  it('labels each sample of a program on threads with the thread that allocated', () => {
    // Two tracebacks with the same frames, one per thread: one sample each.
    const snapshot = new Snapshot({
      tracebackLimit: 1,
      frames: [nodeNew],
      tracebacks: [{ frames: [0], totalNframe: 1, thread: 0 }, { frames: [0], totalNframe: 1, thread: 3 }],
      traces: { domain: new Uint32Array([1, 1, 1]), size: new Float64Array([10, 20, 30]), traceback: new Uint32Array([0, 1, 1]) },
      domains: [{ id: 1, name: 'app.wasm' }],
    });
    expect(readable(snapshotToPprof(snapshot)).samples).toEqual([
      { values: [2, 50], domain: 'domain=app.wasm,thread=3', stack: ['node_new node.c:5'] },
      { values: [1, 10], domain: 'domain=app.wasm,thread=main', stack: ['node_new node.c:5'] },
    ]);
  });

  it('writes a sampled snapshot’s estimates, with the sampling interval as the period', () => {
    const exact = multiFrameSnapshot();
    const sampled = new Snapshot({ ...exact.data, samplingIntervalBytes: 4096 });
    const p = readable(snapshotToPprof(sampled));
    expect(p.period).toBe(4096);
    // Each 100 B trace stands for 41.46 blocks and 4146 B (1 − e^(−100/4096) sampled).
    expect(p.samples).toContainEqual({ values: [83, 8292], domain: 'domain=app.wasm', stack: ['leak leak.wasm:0 @0x1bc', 'main main.c:30'] });
    const app = sampled.filterTraces([new DomainFilter(true, 1)]).statistics('traceback');
    expect(p.samples.filter((x) => x.domain === 'domain=app.wasm').map((x) => x.values)).toEqual(app.map((st) => [st.count, st.size]));
  });

  it('shares a Function between the lines of one function, and a Location between samples', () => {
    const p = readable(snapshotToPprof(multiFrameSnapshot()));
    // One Function per (name, file): node_new at lines 5 and 9 is one function; a
    // frame without a function name is named by the frame itself.
    expect(p.functions).toEqual(['leak leak.wasm', 'main main.c', 'node_new node.c', 'build_index index.c', 'util.c:7 util.c']);
    // main.c:30, leak+0x1bc, node.c:5, index.c:12, node.c:9, util.c:7
    expect(p.locations).toBe(6);
  });

  it('labels a domain without a name by its id, and writes comments', () => {
    const snapshot = new Snapshot(new SnapshotBuilder().addMany(3, 7, 10, [leakSite]).build());
    const p = readable(snapshotToPprof(snapshot, { comments: ['wasm-tracemalloc snapshot leak.wtmsnap'] }));
    expect(p.samples).toEqual([{ values: [3, 30], domain: 'domain=7', stack: ['leak leak.wasm:0 @0x1bc'] }]);
    expect(p.comments).toEqual(['wasm-tracemalloc snapshot leak.wtmsnap']);
    expect(p.timeNanos).toBe(0n);
  });

  it('writes an empty profile for an empty snapshot', () => {
    const p = readable(snapshotToPprof(new Snapshot(new SnapshotBuilder().build())));
    expect(p.samples).toEqual([]);
    expect(p.locations).toBe(0);
    expect(p.strings[0]).toBe('');
    expect(p.sampleTypes).toEqual(['inuse_objects/count', 'inuse_space/bytes']);
  });

  it('keeps sizes above 2^32 exact', () => {
    const snapshot = new Snapshot(new SnapshotBuilder().add(0, 2 ** 33 + 5, [main]).build());
    expect(readable(snapshotToPprof(snapshot)).samples[0].values).toEqual([1, 2 ** 33 + 5]);
  });
});

describe('gzipPprof', () => {
  it('gzips the profile as stored on disk', async () => {
    const bytes = snapshotToPprof(multiFrameSnapshot());
    const gz = await gzipPprof(bytes);
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    expect(new Uint8Array(gunzipSync(gz))).toEqual(bytes);
  });
});
