import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { Snapshot } from './snapshot.js';
import { SnapshotBuilder } from './snapshot-builder.js';
import { InvalidSnapshotError, type SnapshotData } from './snapshot-data.js';
import { SNAPSHOT_FORMAT_VERSION, SNAPSHOT_MAGIC, decodeSnapshot, encodeSnapshot } from './snapshot-file.js';

const MAIN = { filename: 'main.c', lineno: 30 };
const LEAK = { filename: 'leak.c', lineno: 14 };
const SITE = { filename: 'app.wasm', lineno: 0, function: 'make_nodes', offset: 0x1a2 };

function leaky(): SnapshotData {
  return new SnapshotBuilder(4)
    .addMany(1000, 0, 100, [MAIN, LEAK], 7)
    .add(1, 4000, [MAIN])
    .addMany(3, 1, 24, [MAIN, SITE])
    .add(0, 8, [])
    .build({ domains: [{ id: 0, name: 'app.wasm' }, { id: 1, name: 'lib.wasm' }], meta: { timestamp: 1700000000000, current: 104080, peak: 200000, lostTraces: 0, note: 'after run' } });
}

/** A version 1 file: the layout tests below read its fixed offsets (version 2 is tested further down). */
const bytes = encodeSnapshot(leaky(), { version: 1 });
const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
/** The header text of a file. */
const headerOf = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(24, 24 + u32(b, 12)));

/** A file with `header` as its JSON header and valid padding and checksum (the columns of `data`). */
function craft(header: string, data: SnapshotData = leaky(), traceCount = data.traces.size.length): Uint8Array {
  const good = encodeSnapshot(data, { version: 1 });
  const oldHeaderEnd = Math.ceil((24 + u32(good, 12)) / 8) * 8;
  const headerBytes = new TextEncoder().encode(header);
  const columnsAt = Math.ceil((24 + headerBytes.length) / 8) * 8;
  const body = good.subarray(oldHeaderEnd, good.length - 4);
  const out = new Uint8Array(columnsAt + body.length + 4);
  out.set(good.subarray(0, 24));
  new DataView(out.buffer).setUint32(12, headerBytes.length, true);
  new DataView(out.buffer).setUint32(16, traceCount, true);
  out.set(headerBytes, 24);
  out.set(body, columnsAt);
  return resign(out);
}

/** Recomputes the checksum after an edit. */
function resign(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(b.length - 4, crc32(b.subarray(0, b.length - 4)), true);
  return b;
}

function loadError(b: Uint8Array, source = 'heap.wtmsnap'): InvalidSnapshotError {
  try {
    Snapshot.load(b, source);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSnapshotError);
    expect((error as InvalidSnapshotError).source).toBe(source);
    return error as InvalidSnapshotError;
  }
  throw new Error('loaded without error');
}

describe('snapshot file layout, version 1', () => {
  it('starts with the magic, the version, the header length and the trace count', () => {
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe(SNAPSHOT_MAGIC);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x57, 0x54, 0x4d, 0x53, 0x4e, 0x41, 0x50, 0x00]);
    expect(u32(bytes, 8)).toBe(1);
    expect(u32(bytes, 16)).toBe(1005);
    expect(u32(bytes, 20)).toBe(0);
    const header = JSON.parse(headerOf(bytes));
    expect(header.traceCount).toBe(1005);
    expect(header.tracebackLimit).toBe(4);
    expect(header.frames).toEqual([MAIN, LEAK, SITE]);
  });

  it('stores little-endian, 8-byte aligned columns and ends with the CRC-32 of the rest', () => {
    const domainAt = Math.ceil((24 + u32(bytes, 12)) / 8) * 8;
    const sizeAt = Math.ceil((domainAt + 4 * 1005) / 8) * 8;
    const tracebackAt = sizeAt + 8 * 1005;
    expect(bytes.length).toBe(tracebackAt + 4 * 1005 + 4);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(domainAt + 4 * 1000, true)).toBe(1); // the 4000 B block is in domain 1
    expect(view.getFloat64(sizeAt + 8 * 1000, true)).toBe(4000);
    expect(view.getUint32(tracebackAt + 4 * 1000, true)).toBe(1);
    expect(u32(bytes, bytes.length - 4)).toBe(crc32(bytes.subarray(0, bytes.length - 4)));
  });
});

describe('dump and load', () => {
  it('round-trips to equal statistics, traces, domains and meta', () => {
    const original = new Snapshot(leaky());
    const loaded = Snapshot.load(original.dump(), 'heap.wtmsnap');
    for (const key of ['lineno', 'filename', 'traceback'] as const) {
      expect(loaded.statistics(key).map(String)).toEqual(original.statistics(key).map(String));
    }
    expect(loaded.statistics('lineno', true).map(String)).toEqual(original.statistics('lineno', true).map(String));
    expect(loaded.statistics('lineno')[0].toString()).toBe('leak.c:14: size=97.7 KiB, count=1000, average=100 B');
    expect(loaded.compareTo(original, 'traceback').every((d) => d.sizeDiff === 0 && d.countDiff === 0)).toBe(true);
    expect(loaded.traces.map(String)).toEqual(original.traces.map(String));
    expect(loaded.traces[0].traceback.totalNframe).toBe(7);
    expect(loaded.data).toEqual(original.data);
    expect(loaded.domains).toEqual([{ id: 0, name: 'app.wasm' }, { id: 1, name: 'lib.wasm' }]);
    expect(loaded.meta).toEqual({ timestamp: 1700000000000, current: 104080, peak: 200000, lostTraces: 0, note: 'after run' });
    expect(loaded.tracebackLimit).toBe(4);
  });

  it('round-trips an empty snapshot and one without domains or meta', () => {
    const empty = new Snapshot(new SnapshotBuilder().build());
    const loaded = Snapshot.load(empty.dump());
    expect(loaded.length).toBe(0);
    expect(loaded.data).toEqual(empty.data);
    expect('domains' in loaded.data).toBe(false);
  });

  it('reads a file at any byte offset of a larger buffer and copies its columns', () => {
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const view = shifted.subarray(3);
    const loaded = Snapshot.load(view);
    expect(loaded.statistics('lineno').map(String)).toEqual(new Snapshot(leaky()).statistics('lineno').map(String));
    view.fill(0);
    expect(loaded.data.traces.size[0]).toBe(100);
  });

  it('keeps hostile strings as plain data', () => {
    const names = [
      '<script>alert(1)</script>',
      '</script><img src=x onerror=alert(1)>',
      'a\u0000b',
      '"quoted" \\ back\\slash',
      '\u2028\u2029 line separators',
      'lone \uD800 surrogate',
      '💥 astral',
      'x'.repeat(100_000),
      '__proto__',
    ];
    const b = new SnapshotBuilder();
    names.forEach((name, i) => b.add(0, i + 1, [{ filename: name, lineno: 0, function: name, offset: i }]));
    const data = b.build({ domains: [{ id: 0, name: names[0] }], meta: { note: names[1], [names[8]]: names[2] } });
    const loaded = Snapshot.load(new Snapshot(data).dump());
    expect(loaded.data.frames.map((f) => f.filename)).toEqual(names);
    expect(loaded.data.frames.map((f) => f.function)).toEqual(names);
    expect(loaded.domains[0].name).toBe(names[0]);
    expect(loaded.meta.note).toBe(names[1]);
    expect(Object.getOwnPropertyDescriptor(loaded.meta, '__proto__')?.value).toBe(names[2]);
    expect(Object.getPrototypeOf(loaded.meta)).toBe(Object.prototype);
    expect(String(loaded.traces[2])).toBe('a\u0000b:a\u0000b+0x2: 3 B');
  });
});

describe('Snapshot.load rejects damaged files', () => {
  it('rejects a file that is not a snapshot (bad magic)', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    expect(loadError(png).message).toBe(
      'heap.wtmsnap is not a wasm-tracemalloc snapshot: it starts with bytes 89 50 4e 47 0d 0a 1a 0a, not "WTMSNAP\\0". Pass a file written by Snapshot.dump() (.wtmsnap).',
    );
    const wrong = bytes.slice();
    wrong[0] = 0x58;
    expect(loadError(wrong).message).toMatch(/^heap.wtmsnap is not a wasm-tracemalloc snapshot: it starts with bytes 58 54 4d/);
    expect(loadError(Uint8Array.from([0x1f, 0x8b, 8, 0])).message).toMatch(/gzip-compressed: decompress it first/);
    expect(loadError(Uint8Array.from([0x80, 4, 0x95])).message).toMatch(/Python pickle/);
    expect(loadError(new TextEncoder().encode('{"frames": []}')).message).toMatch(/looks like JSON/);
    expect(loadError(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])).message).toMatch(/WebAssembly module/);
    expect(loadError(new Uint8Array(0)).message).toBe(
      'heap.wtmsnap is empty (0 bytes), not a wasm-tracemalloc snapshot. Pass a file written by Snapshot.dump() (.wtmsnap).',
    );
  });

  it('rejects an unsupported version', () => {
    const v5 = bytes.slice();
    v5[8] = 5;
    expect(loadError(v5).message).toBe(
      'heap.wtmsnap is a wasm-tracemalloc snapshot of format version 5, but this build reads versions 1 to 4 only. ' +
        'Load it with the wasm-tracemalloc release that wrote it, or take the snapshot again with this one.',
    );
    const v0 = bytes.slice();
    v0[8] = 0;
    expect(loadError(v0).message).toMatch(/format version 0, but this build reads versions 1 to 4 only/);
  });

  it('rejects a file truncated anywhere, with expected and actual lengths', () => {
    const total = bytes.length;
    for (const cut of [total - 1, total - 4, total - 5, Math.floor(total / 2), 25, 24]) {
      expect(loadError(bytes.subarray(0, cut)).message).toBe(
        `heap.wtmsnap is truncated: with 1005 traces and a ${u32(bytes, 12)}-byte header it should be ${total} bytes long, but it has ${cut}. ` +
          'It was cut short while being written or copied. Copy the file again, or take a new snapshot.',
      );
    }
    for (const cut of [23, 12, 9, 8, 5, 1]) {
      expect(loadError(bytes.subarray(0, cut)).message).toBe(
        `heap.wtmsnap is truncated: it has ${cut} bytes, fewer than the 28 of the smallest snapshot. Copy the file again, or take a new snapshot.`,
      );
    }
  });

  it('rejects trailing bytes', () => {
    const longer = new Uint8Array(bytes.length + 5);
    longer.set(bytes);
    expect(loadError(longer).message).toMatch(/^heap.wtmsnap has 5 unexpected bytes after its end: .* is \d+ bytes long, but it has \d+\./);
  });

  it('rejects a flipped byte anywhere as corrupt (CRC mismatch)', () => {
    const headerEnd = 24 + u32(bytes, 12);
    for (const at of [25, headerEnd - 1, headerEnd + 10, Math.floor(bytes.length / 2), bytes.length - 5, bytes.length - 1]) {
      const flipped = bytes.slice();
      flipped[at] ^= 0x04;
      expect(loadError(flipped).message).toMatch(
        /^heap.wtmsnap is corrupt: its checksum says CRC-32 0x[0-9a-f]{8}, but its bytes give 0x[0-9a-f]{8}; bytes changed after it was written\. Copy the file again, or take a new snapshot\.$/,
      );
    }
  });

  it('rejects a malformed header even with a valid checksum', () => {
    expect(loadError(craft('{"tracebackLimit": 4, "traceCount": 1005, ')).message).toMatch(
      /^heap.wtmsnap has a malformed header: it is not valid JSON \(.+\)\. Its checksum is right, so a faulty or foreign writer made it; take a new snapshot with Snapshot.dump\(\)\.$/,
    );
    // V8 quotes the damaged text; a newline or ESC in it must not reach the terminal.
    const hostile = loadError(craft('{"tracebackLimit": 4, "current"\n\u001b[0,0]}')).message;
    expect(hostile).not.toMatch(/[\u0000-\u001f]/);
    expect(hostile).toMatch(/^heap.wtmsnap has a malformed header: it is not valid JSON \(Unexpected token '\\u001b', .*"current"\\u000a\\u001b\[0,0\]}" is not valid JSON\)\. Its checksum is right/);
    expect(loadError(craft('[1, 2]')).message).toMatch(/malformed header: it is an array of 2, not a JSON object/);
    expect(loadError(craft('null')).message).toMatch(/malformed header: it is null, not a JSON object/);
    const header = JSON.parse(headerOf(bytes));
    expect(loadError(craft(JSON.stringify({ ...header, traceCount: 7 }))).message).toMatch(/malformed header: traceCount is 7, but the file holds 1005 traces/);
    const notUtf8 = craft(JSON.stringify(header));
    notUtf8[24 + 2] = 0xff;
    expect(loadError(resign(notUtf8)).message).toMatch(/malformed header: it is not valid UTF-8/);
    const reserved = bytes.slice();
    reserved[20] = 1;
    expect(loadError(resign(reserved)).message).toMatch(/malformed header: the reserved word at byte 20 is not 0/);
  });

  it('rejects header values out of range even with a valid checksum', () => {
    const header = JSON.parse(headerOf(bytes));
    const inconsistent = (h: object): string => loadError(craft(JSON.stringify(h))).message;
    expect(inconsistent({ ...header, tracebacks: header.tracebacks.slice(0, 1) })).toBe(
      'heap.wtmsnap is inconsistent: trace 1000 refers to traceback 1, but there are 1 tracebacks. ' +
        'Its checksum is right, so the program that wrote it has a bug; take a new snapshot.',
    );
    expect(inconsistent({ ...header, frames: header.frames.slice(0, 2) })).toMatch(
      /^heap.wtmsnap is inconsistent: tracebacks\[2\]\.frames\[1\] is 2, not a frame index: there are 2 frames\./,
    );
    expect(inconsistent({ ...header, frames: [{ ...MAIN, lineno: -1 }, LEAK, SITE] })).toMatch(/frames\[0\]\.lineno must be a non-negative integer, got -1/);
    expect(inconsistent({ ...header, frames: [{ ...MAIN, lineno: 2.5 }, LEAK, SITE] })).toMatch(/frames\[0\]\.lineno must be a non-negative integer, got 2.5/);
    expect(inconsistent({ ...header, frames: [{ lineno: 1 }, LEAK, SITE] })).toMatch(/frames\[0\]\.filename must be a string, got undefined/);
    expect(inconsistent({ ...header, frames: [MAIN, LEAK, { ...SITE, offset: '0x1a2' }] })).toMatch(/frames\[2\]\.offset must be a non-negative integer, got "0x1a2"/);
    expect(inconsistent({ ...header, frames: [MAIN, LEAK, { ...SITE, function: null }] })).toMatch(/frames\[2\]\.function must be a string, got null/);
    expect(inconsistent({ ...header, tracebacks: [{ frames: [0, -1], totalNframe: 2 }, ...header.tracebacks.slice(1)] })).toMatch(
      /tracebacks\[0\]\.frames\[1\] is -1, not a frame index/,
    );
    expect(inconsistent({ ...header, tracebacks: 'none' })).toMatch(/tracebacks must be an array, got "none"/);
    expect(inconsistent({ ...header, tracebackLimit: -2 })).toMatch(/tracebackLimit must be a non-negative integer, got -2/);
    expect(inconsistent({ ...header, domains: [{ id: 0, name: 7 }] })).toMatch(/domains\[0\]\.name must be a string, got 7/);
    expect(inconsistent({ ...header, meta: { peak: null } })).toMatch(/meta.peak must be a string or a finite number, got null/);
    expect(inconsistent({ ...header, meta: [] })).toMatch(/meta must be an object, got an array of 0/);
  });

  it('rejects negative, fractional and NaN sizes in the columns', () => {
    const d = leaky();
    for (const [bad, shown] of [
      [-100, '-100'],
      [0.5, '0.5'],
      [Number.NaN, 'NaN'],
      [Infinity, 'Infinity'],
    ] as const) {
      const data = leaky();
      data.traces.size[3] = bad;
      // encodeSnapshot does not check: it writes what a (buggy) producer hands it
      const written = encodeSnapshot(data);
      expect(loadError(written).message).toMatch(new RegExp(`^heap.wtmsnap is inconsistent: trace 3 has size ${shown}; sizes are non-negative integers \\(bytes\\)\\.`));
    }
    expect(d.traces.size[3]).toBe(100);
  });

  it('rejects bytes that are not a Uint8Array', () => {
    expect(() => Snapshot.load(bytes.buffer as unknown as Uint8Array, 'heap.wtmsnap')).toThrow(
      new TypeError('cannot load heap.wtmsnap: expected its bytes as a Uint8Array, got ArrayBuffer'),
    );
    expect(() => decodeSnapshot('WTMSNAP' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('names "snapshot" when no source is given', () => {
    expect(() => Snapshot.load(new Uint8Array([1, 2, 3]))).toThrow(/^snapshot is not a wasm-tracemalloc snapshot/);
  });
});

describe('snapshot file, version 2', () => {
  const v2 = encodeSnapshot(leaky());
  const u8 = (b: Uint8Array, at: number): number => b[at];
  const header2 = (b: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(b.subarray(40, 40 + u32(b, 12))));

  it('is what dump() writes: counts in the prefix, narrow columns, frames in the header, tracebacks as columns', () => {
    expect(SNAPSHOT_FORMAT_VERSION).toBe(4);
    expect(new Snapshot(leaky()).dump()).toEqual(v2);
    expect(new TextDecoder().decode(v2.subarray(0, 8))).toBe(SNAPSHOT_MAGIC);
    expect(u32(v2, 8)).toBe(2);
    expect(u32(v2, 16)).toBe(1005); // traces
    expect(u32(v2, 20)).toBe(4); // tracebacks: [MAIN, LEAK], [MAIN], [MAIN, SITE], []
    expect(u32(v2, 24)).toBe(5); // frame references
    expect(u32(v2, 28)).toBe(0);
    // domain u8, size u16, traceback u8, nframe u8, totalNframe u8, frame u8
    expect(Array.from(v2.subarray(32, 40))).toEqual([1, 2, 1, 1, 1, 1, 0, 0]);
    const h = header2(v2);
    expect(h.traceCount).toBe(1005);
    expect(h.tracebackCount).toBe(4);
    expect(h.frames).toEqual([MAIN, LEAK, SITE]);
    expect('tracebacks' in h).toBe(false);
    const nframeAt = Math.ceil((40 + u32(v2, 12)) / 8) * 8;
    expect(Array.from(v2.subarray(nframeAt, nframeAt + 4))).toEqual([2, 1, 2, 0]);
    const totalAt = nframeAt + 8;
    expect(Array.from(v2.subarray(totalAt, totalAt + 4))).toEqual([7, 1, 2, 0]);
    const framesAt = totalAt + 8;
    expect(Array.from(v2.subarray(framesAt, framesAt + 5))).toEqual([0, 1, 0, 0, 2]);
    const domainAt = framesAt + 8;
    expect(u8(v2, domainAt + 1000)).toBe(1);
    const sizeAt = domainAt + Math.ceil(1005 / 8) * 8;
    expect(new DataView(v2.buffer).getUint16(sizeAt + 2 * 1000, true)).toBe(4000);
    const tracebackAt = sizeAt + Math.ceil((2 * 1005) / 8) * 8;
    expect(u8(v2, tracebackAt + 1000)).toBe(1);
    expect(v2.length).toBe(tracebackAt + Math.ceil(1005 / 8) * 8 + 4);
    expect(u32(v2, v2.length - 4)).toBe(crc32(v2.subarray(0, v2.length - 4)));
    expect(v2.length).toBeLessThan(bytes.length / 2);
  });

  it('round-trips what version 1 does, and reads version 1 files to the same data', () => {
    const original = new Snapshot(leaky());
    const fromV2 = Snapshot.load(v2, 'heap.wtmsnap');
    const fromV1 = Snapshot.load(bytes, 'heap.wtmsnap');
    expect(fromV2.data).toEqual(original.data);
    expect(fromV1.data).toEqual(original.data);
    expect(fromV2.statistics('traceback').map(String)).toEqual(original.statistics('traceback').map(String));
  });

  it('widens columns as their values need: 2- and 4-byte indices, f64 sizes above 4 GiB', () => {
    const b = new SnapshotBuilder(1);
    for (let i = 0; i < 300; i++) b.add(70000 + i, i === 5 ? 2 ** 33 : 8, [{ filename: 'f.c', lineno: i + 1 }]);
    const data = b.build();
    const file = encodeSnapshot(data);
    expect(Array.from(file.subarray(32, 40))).toEqual([4, 8, 2, 1, 1, 2, 0, 0]);
    expect(Snapshot.load(file).data).toEqual(data);
    const u16 = new SnapshotBuilder(1);
    for (let i = 0; i < 300; i++) u16.add(300, 70000, [{ filename: 'f.c', lineno: i + 1 }]);
    const small = encodeSnapshot(u16.build());
    expect(Array.from(small.subarray(32, 40))).toEqual([2, 4, 2, 1, 1, 2, 0, 0]);
    expect(Snapshot.load(small).data).toEqual(u16.build());
    const tiny = new SnapshotBuilder(1).add(0, 255, []).add(0, 0, []).build();
    expect(Array.from(encodeSnapshot(tiny).subarray(32, 40))).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Snapshot.load(encodeSnapshot(tiny)).data).toEqual(tiny);
  });

  it('rejects truncated, extended, corrupt and malformed version 2 files', () => {
    const total = v2.length;
    for (const cut of [total - 1, total - 4, Math.floor(total / 2), 41, 40]) {
      expect(loadError(v2.subarray(0, cut)).message).toBe(
        `heap.wtmsnap is truncated: with 1005 traces, 4 tracebacks, 5 frame references and a ${u32(v2, 12)}-byte header it should be ${total} bytes long, but it has ${cut}. ` +
          'It was cut short while being written or copied. Copy the file again, or take a new snapshot.',
      );
    }
    expect(loadError(v2.subarray(0, 30)).message).toMatch(/^heap.wtmsnap is truncated: it has 30 bytes, fewer than the 44 of the smallest version 2 snapshot\./);
    const longer = new Uint8Array(total + 3);
    longer.set(v2);
    expect(loadError(longer).message).toMatch(/^heap.wtmsnap has 3 unexpected bytes after its end: a snapshot with 1005 traces, 4 tracebacks/);
    for (const at of [41, total - 5, Math.floor(total / 2)]) {
      const flipped = v2.slice();
      flipped[at] ^= 0x10;
      expect(loadError(flipped).message).toMatch(/^heap.wtmsnap is corrupt: its checksum says CRC-32/);
    }
    const width = v2.slice();
    width[33] = 3;
    expect(loadError(width).message).toBe(
      'heap.wtmsnap is corrupt: its column widths (bytes 32-39) are 1 3 1 1 1 1 0 0, which no writer of this format uses. Copy the file again, or take a new snapshot.',
    );
    width[33] = 2;
    width[34] = 8; // a traceback column is never 8 wide
    expect(loadError(width).message).toMatch(/its column widths \(bytes 32-39\) are 1 2 8 1 1 1 0 0, which no writer/);
    const reserved = v2.slice();
    reserved[28] = 1;
    expect(loadError(resign(reserved)).message).toMatch(/malformed header: the reserved word at byte 28 is not 0/);
    const padded = v2.slice();
    padded[v2.length - 5] = 9; // padding after the traceback column
    expect(loadError(resign(padded)).message).toMatch(/malformed header: padding byte \d+ is not 0/);
  });

  it('checks every index and count of the traceback columns', () => {
    const nframeAt = Math.ceil((40 + u32(v2, 12)) / 8) * 8;
    const framesAt = nframeAt + 16;
    const badFrame = v2.slice();
    badFrame[framesAt + 4] = 3; // SITE's index, 2 -> 3: there are 3 frames
    expect(loadError(resign(badFrame)).message).toMatch(/^heap.wtmsnap is inconsistent: tracebacks\[2\]\.frames\[1\] is 3, not a frame index: there are 3 frames\./);
    const badCount = v2.slice();
    badCount[nframeAt] = 1; // 4 frames in all, 5 references stored
    expect(loadError(resign(badCount)).message).toMatch(/malformed header: its tracebacks have 4 frames in all, but the file holds 5 frame references/);
    const badTotal = v2.slice();
    badTotal[nframeAt + 8] = 1; // totalNframe 7 -> 1 < 2 frames
    expect(loadError(resign(badTotal)).message).toMatch(/inconsistent: tracebacks\[0\]\.totalNframe must be an integer >= its 2 frames, got 1/);
    const sizeAt = framesAt + 8 + Math.ceil(1005 / 8) * 8;
    const badTraceback = v2.slice();
    badTraceback[sizeAt + Math.ceil((2 * 1005) / 8) * 8 + 17] = 4;
    expect(loadError(resign(badTraceback)).message).toMatch(/^heap.wtmsnap is inconsistent: trace 17 refers to traceback 4, but there are 4 tracebacks\./);
    const text = JSON.stringify({ ...header2(v2), tracebackCount: 3 });
    expect(text.length).toBe(u32(v2, 12)); // same length: the columns stay where they are
    const badHeader = v2.slice();
    badHeader.set(new TextEncoder().encode(text), 40);
    expect(loadError(resign(badHeader)).message).toMatch(/malformed header: tracebackCount is 3, but the file holds 4 tracebacks/);
  });

  it('keeps members of the header it does not know (room for later fields)', () => {
    const h = header2(v2);
    expect(Object.keys(h)).toEqual(['tracebackLimit', 'traceCount', 'tracebackCount', 'frames', 'domains', 'meta']);
  });
});

describe('known bugs, fixed', () => {
  it('loads a Node Buffer that is a view into a larger pooled ArrayBuffer', async () => {
    const { Buffer } = await import('node:buffer');
    const small = new SnapshotBuilder(1).add(0, 100, [LEAK]).add(0, 24, [MAIN]).add(1, 8, []).build();
    for (const file of [encodeSnapshot(small), encodeSnapshot(small, { version: 1 })]) {
      const buffer = Buffer.from(file); // small: allocated from Buffer's shared pool
      expect(buffer.byteOffset > 0 || buffer.buffer.byteLength > buffer.length).toBe(true);
      const loaded = Snapshot.load(buffer, 'small.wtmsnap');
      expect(loaded.data).toEqual(small);
      expect(loaded.statistics('lineno').map(String)).toEqual(['leak.c:14: size=100 B, count=1, average=100 B', 'main.c:30: size=24 B, count=1, average=24 B', '<unknown>:0: size=8 B, count=1, average=8 B']);
    }
    // An odd offset too (no aligned view is possible there).
    const odd = Buffer.alloc(encodeSnapshot(small).length + 1);
    odd.set(encodeSnapshot(small), 1);
    expect(Snapshot.load(odd.subarray(1)).data).toEqual(small);
  });

  it('writes FrameData.source, so dump and load keep the line text the traceback panel shows', () => {
    const frame = { filename: 'leak.c', lineno: 61, function: 'leak_nodes', source: 'char *p = malloc(NODE_SIZE);' };
    const data = new SnapshotBuilder(2).addMany(3, 0, 64, [MAIN, frame]).build();
    expect(data.frames[1].source).toBe('char *p = malloc(NODE_SIZE);');
    for (const version of [1, 2] as const) {
      const loaded = Snapshot.load(encodeSnapshot(data, { version }));
      expect(loaded.data.frames[1]).toEqual(frame);
      expect(loaded.traces[0].traceback.format()).toEqual(['  File "main.c", line 30', '  File "leak.c", line 61', '    char *p = malloc(NODE_SIZE);']);
    }
  });
});

describe('threads in the file', () => {
  /** Three tracebacks: two traced on threads 3 and 0 (the threaded core), one without a thread (the main thread's own table). */
  function threaded(): SnapshotData {
    const data = new SnapshotBuilder(2).addMany(500, 0, 64, [LEAK]).addMany(50, 0, 256, [SITE]).addMany(10, 0, 32, [MAIN]).build();
    data.tracebacks[0]!.thread = 3;
    data.tracebacks[1]!.thread = 0;
    return data;
  }

  it('dump and load keep the thread of each traceback, so Snapshot.threads() reads the same from a file', () => {
    const original = new Snapshot(threaded());
    expect(original.threads()).toEqual([
      { thread: 3, size: 32000, count: 500 },
      { thread: 0, size: 12800 + 320, count: 60 },
    ]);
    for (const version of [1, 2] as const) {
      const loaded = Snapshot.load(encodeSnapshot(threaded(), { version }));
      expect(loaded.data.tracebacks.map((tb) => tb.thread)).toEqual([3, 0, undefined]);
      expect(loaded.threads()).toEqual(original.threads());
      expect(loaded.filterThread(3).statistics('lineno').map(String)).toEqual(['leak.c:14: size=31.2 KiB, count=500, average=64 B']);
    }
    // A snapshot without threads writes no such member.
    expect(new TextDecoder().decode(encodeSnapshot(leaky()))).not.toContain('tracebackThreads');
  });

  it('rejects a tracebackThreads member of the wrong length or with a bad thread', () => {
    const file = encodeSnapshot(threaded());
    const text = new TextDecoder().decode(file);
    expect(text).toContain('"tracebackThreads":[3,0,null]');
    const edit = (from: string, to: string) => {
      const header = new TextEncoder().encode(new TextDecoder().decode(file.subarray(40, 40 + u32(file, 12))).replace(from, to));
      expect(header.length).toBe(u32(file, 12)); // same length: the layout stays
      const out = file.slice();
      out.set(header, 40);
      return resign(out);
    };
    expect(loadError(edit('[3,0,null]', '[3,0]     ')).message).toContain('tracebackThreads is an array of 2, not one thread (or null) for each of its 3 tracebacks');
    expect(loadError(edit('[3,0,null]', '[3,-1,nul ')).message).toMatch(/not valid JSON/);
    expect(loadError(edit('[3,0,null]', '[3,-1,  0]')).message).toContain('tracebacks[1].thread must be a non-negative integer, got -1');
  });
});

describe('snapshot file, version 4: counters and per-site samples', () => {
  /** leaky() with counters on its first three tracebacks (the fourth has none), a counter-only traceback, and per-site samples. */
  function counted(): SnapshotData {
    const data = new SnapshotBuilder(4).addMany(1000, 0, 100, [MAIN, LEAK], 7).add(1, 4000, [MAIN]).addMany(3, 1, 24, [MAIN, SITE]).add(0, 8, []).build({ meta: { peak: 200_000 } });
    const churn = { frames: [data.frames.push({ filename: 'churn.c', lineno: 14 }) - 1], totalNframe: 1 };
    data.tracebacks.push(churn);
    Object.assign(data.tracebacks[0], { allocCount: 1500, allocSize: 150_000, freeCount: 500, freeSize: 50_000, peakCount: 1200, peakSize: 120_000 });
    Object.assign(data.tracebacks[1], { allocCount: 1, allocSize: 4000, freeCount: 0, freeSize: 0, peakCount: 1, peakSize: 4000 });
    Object.assign(data.tracebacks[2], { allocCount: 3, allocSize: 72, freeCount: 0, freeSize: 0, peakCount: 0, peakSize: 0 });
    Object.assign(churn, { allocCount: 1000, allocSize: 64_000, freeCount: 1000, freeSize: 64_000, peakCount: 0, peakSize: 0 });
    data.samples = { start: 1_700_000_000_000, time: [0, 10, 20], current: [0, 100_000, 104_080], peak: [0, 120_000, 104_080], traces: [0, 1000, 1005], sites: { traceback: [0, 4], size: [[0, 100_000, 100_000], [0, 64, 0]] } };
    return data;
  }
  const v4 = encodeSnapshot(counted());
  const tracebackCount = 5;
  /** Offset of the counter section: just before the checksum. */
  const countersAt = v4.length - 4 - 48 * tracebackCount;

  it('round-trips the counters, their absence and the per-site samples; dump() writes version 4', () => {
    expect(u32(v4, 8)).toBe(4);
    expect(new Snapshot(counted()).dump()).toEqual(v4);
    const back = decodeSnapshot(v4, 'counted.wtmsnap');
    expect(back.tracebacks).toEqual(counted().tracebacks);
    expect(back.tracebacks[3]).toEqual({ frames: [], totalNframe: 0 }); // no counters: none read back
    expect(back.samples).toEqual(counted().samples);
    const s = Snapshot.load(v4);
    expect(s.statistics('lineno').map((x) => [String(x.traceback), x.size, x.allocCount, x.freeCount])).toEqual([
      ['leak.c:14', 100_000, 1500, 500],
      ['main.c:30', 4000, 1, 0],
      ['app.wasm:make_nodes+0x1a2', 72, 3, 0],
      ['<unknown>:0', 8, 0, 0],
    ]);
    // The churned line holds nothing: it is in a diff, not in statistics().
    expect(s.statistics('lineno').some((x) => String(x.traceback) === 'churn.c:14')).toBe(false);
    expect(s.peakStatistics('lineno').map((x) => [String(x.traceback), x.size, x.count])).toEqual([
      ['leak.c:14', 120_000, 1200],
      ['main.c:30', 4000, 1],
    ]);
  });

  it('a sampled snapshot with counters is version 4 with its interval', () => {
    const data = { ...counted(), samplingIntervalBytes: 4096 };
    const back = decodeSnapshot(encodeSnapshot(data));
    expect(back.samplingIntervalBytes).toBe(4096);
    expect(back.tracebacks[4]!.allocCount).toBe(1000);
  });

  it('older versions leave counters and sites out, and still load', () => {
    for (const version of [1, 2] as const) {
      const back = decodeSnapshot(encodeSnapshot(counted(), { version }));
      expect(back.tracebacks.every((t) => t.allocCount === undefined)).toBe(true);
      expect(back.samples!.sites).toBeUndefined();
      expect(new Snapshot(back).statistics('lineno').length).toBe(4); // the counter-only line is gone with its counters
    }
  });

  it('a corrupt counter (negative, fractional) is an InvalidSnapshotError naming the traceback and the counter', () => {
    const bad = v4.slice();
    new DataView(bad.buffer).setFloat64(countersAt + 2 * 8 * tracebackCount + 8 * 4, -3, true); // freeCount of traceback 4
    expect(loadError(resign(bad)).message).toBe(
      'heap.wtmsnap has a malformed header: traceback 4 has freeCount -3 in the counters section; counters are non-negative integers. ' +
        'Its checksum is right, so a faulty or foreign writer made it; take a new snapshot with Snapshot.dump().',
    );
    const frac = v4.slice();
    new DataView(frac.buffer).setFloat64(countersAt + 5 * 8 * tracebackCount, 0.5, true); // peakSize of traceback 0
    expect(loadError(resign(frac)).message).toMatch(/traceback 0 has peakSize 0\.5 in the counters section/);
    // A cut counter section is a truncated file.
    expect(loadError(v4.subarray(0, v4.length - 8)).message).toMatch(/^heap\.wtmsnap is truncated: with 1005 traces, 5 tracebacks/);
  });

  it('corrupt per-site samples are an InvalidSnapshotError naming the problem', () => {
    const wrongLength = counted();
    wrongLength.samples!.sites!.size[1] = [0, 64];
    expect(() => encodeAndLoad(wrongLength)).toThrow('samples.sites.size[1] must be an array of 3 sizes (one per sample), got an array of 2');
    const wrongIndex = counted();
    wrongIndex.samples!.sites!.traceback[1] = 9;
    expect(() => encodeAndLoad(wrongIndex)).toThrow('samples.sites.traceback[1] is 9, not a traceback index: there are 5 tracebacks');
  });

  function encodeAndLoad(data: SnapshotData): Snapshot {
    return Snapshot.load(encodeSnapshot(data), 'sites.wtmsnap');
  }
});
