/**
 * A Snapshot as a pprof heap profile (`profile.proto`), the format that
 * `go tool pprof`, speedscope and Perfetto-based UIs read.
 *
 *   Snapshot                                Profile
 *   ────────                                ───────
 *   statistics('traceback'), per domain ──▶ Sample { value: [count, size], label domain=NAME }
 *   Traceback frames, oldest → newest   ──▶ Sample.location_id, leaf (most recent) first
 *   Frame (a call site, or a line)      ──▶ Location { address: offset or 0, line: [{ function, line: lineno }] }
 *   (function ?? frame string, filename)──▶ Function { name, system_name, filename }
 *   meta.timestamp (ms since the epoch) ──▶ time_nanos
 *
 * Sample types are `inuse_objects/count` and `inuse_space/bytes`, as in a Go heap
 * profile; both are exact, because a snapshot holds every live block. A sampled
 * snapshot's are the model's estimates (sample-weight.ts), already scaled as Go
 * writes them, with `period` the sampling interval in bytes (1 when exact). Go's
 * `alloc_objects`/`alloc_space` are not written: a snapshot keeps no count of the
 * blocks allocated and since freed, and a made-up total would mislead.
 *
 * The domain (the module instance whose memory holds the block) is a sample label,
 * not a Mapping: a pprof Mapping is a binary loaded at an address range, and frames
 * here carry no domain of their own (a shadow-stack traceback can cross modules;
 * each frame's filename already names its module). A label keeps the blocks of two
 * instances of one module apart under the same locations (`-tagfocus domain=NAME`).
 * In a program on threads, the thread that allocated is a label too (`thread=main`, `thread=3`).
 * Every Location points at one Mapping marked as symbolized, so that pprof does not
 * look for a binary to symbolize the addresses against (`go tool pprof` otherwise
 * prints "Main binary filename not available").
 *
 * The result is the uncompressed message. Files on disk are gzip-compressed:
 * node:zlib in the CLI, or gzipPprof here, which uses the platform's
 * CompressionStream (browsers, Node >= 18).
 */

import { Function as PprofFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { DomainFilter, type Frame, type Snapshot } from '../model/index.js';

export interface PprofOptions {
  /** Lines for the profile's comment field (`go tool pprof -comments`). */
  comments?: readonly string[];
}

/** The sample types written, in the order of each Sample's values. */
export const PPROF_SAMPLE_TYPES = [
  ['inuse_objects', 'count'],
  ['inuse_space', 'bytes'],
] as const;

const MAPPING_ID = 1;

/** Encodes `snapshot` as an uncompressed pprof `Profile` message. */
export function snapshotToPprof(snapshot: Snapshot, options: PprofOptions = {}): Uint8Array {
  const strings = new StringTable(); // entry 0 is ""
  const functions = new Map<string, PprofFunction>();
  const locations = new Map<string, Location>();

  const functionOf = (frame: Frame): PprofFunction => {
    const name = frame.function ?? frame.toString();
    const key = JSON.stringify([name, frame.filename]);
    let fn = functions.get(key);
    if (fn === undefined) {
      const nameId = strings.dedup(name);
      fn = new PprofFunction({ id: functions.size + 1, name: nameId, systemName: nameId, filename: strings.dedup(frame.filename) });
      functions.set(key, fn);
    }
    return fn;
  };

  // One Location per distinct frame, as the model groups them (Frame.key): a call
  // site without a line keeps its own Location, whose address is its offset.
  const locationOf = (frame: Frame): Location => {
    let location = locations.get(frame.key);
    if (location === undefined) {
      location = new Location({
        id: locations.size + 1,
        mappingId: MAPPING_ID,
        address: frame.lineno > 0 ? 0 : (frame.offset ?? 0),
        line: [new Line({ functionId: functionOf(frame).id, line: frame.lineno })],
      });
      locations.set(frame.key, location);
    }
    return location;
  };

  const domainKey = strings.dedup('domain');
  const threadKey = strings.dedup('thread');
  const samples: Sample[] = [];
  const domains = domainsOf(snapshot);
  // A program on threads: a label per thread too (`-tagfocus thread=3`, `-tags`).
  const threads = snapshot.data.tracebacks.some((t) => t.thread !== undefined) ? snapshot.threads().map((t) => t.thread) : [];
  for (const domain of domains) {
    const name = snapshot.domains.find((d) => d.id === domain)?.name ?? String(domain);
    const label = new Label({ key: domainKey, str: strings.dedup(name) });
    const traces = domains.length === 1 ? snapshot : snapshot.filterTraces([new DomainFilter(true, domain)]);
    const parts = threads.length === 0 ? [{ traces, labels: [label] }] : threads.map((thread) => ({ traces: traces.filterThread(thread), labels: [label, new Label({ key: threadKey, str: strings.dedup(thread === 0 ? 'main' : String(thread)) })] }));
    for (const part of parts) {
      for (const stat of part.traces.statistics('traceback')) {
        const frames = stat.traceback.frames;
        const locationId: number[] = [];
        for (let i = frames.length - 1; i >= 0; i--) locationId.push(locationOf(frames[i]).id as number);
        samples.push(new Sample({ locationId, value: [stat.count, stat.size], label: part.labels }));
      }
    }
  }

  const mapping = new Mapping({
    id: MAPPING_ID,
    hasFunctions: true,
    hasFilenames: true,
    hasLineNumbers: snapshot.data.frames.some((f) => f.lineno > 0),
  });
  const sampleType = PPROF_SAMPLE_TYPES.map(([type, unit]) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) }));
  const timestamp = snapshot.meta.timestamp;
  const profile = new Profile({
    sampleType,
    sample: samples,
    mapping: [mapping],
    location: [...locations.values()],
    function: [...functions.values()],
    periodType: new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') }),
    period: snapshot.samplingIntervalBytes || 1,
    timeNanos: typeof timestamp === 'number' ? millisToNanos(timestamp) : 0,
    // Also the last type, which is what tools take when they ignore this field
    // (or, like speedscope, read it as an index into sample_type).
    defaultSampleType: sampleType[1].type,
    comment: (options.comments ?? []).map((c) => strings.dedup(c)),
    stringTable: strings,
  });
  return profile.encode();
}

/** gzip of an encoded profile, as pprof files are stored, through CompressionStream. */
export async function gzipPprof(profile: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([profile as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Decodes an uncompressed profile (gunzip a `.pb.gz` first): for tools and tests that read one back. */
export function decodePprof(bytes: Uint8Array): Profile {
  return Profile.decode(bytes);
}

/** The domain ids that hold traces, ascending. */
function domainsOf(snapshot: Snapshot): number[] {
  const seen = new Set<number>();
  for (const d of snapshot.data.traces.domain) seen.add(d);
  return [...seen].sort((a, b) => a - b);
}

/** Milliseconds since the epoch as integer nanoseconds, without losing precision past 2^53. */
function millisToNanos(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}
