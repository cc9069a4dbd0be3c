// Mutants, regenerable one at a time: mutant `index` of `seed` for `kind` depends
// on nothing but those three values and the corpus (its order and bytes), so a
// failure found at mutant 2817 of a 10,000-mutant campaign is rebuilt alone with
// `--only 2817`.
//
// Instrument mutants aim at what V8 forgives and our reader may not: bytes near
// section headers and their LEB128 sizes (where a reader trusts a length), and
// size-preserving edits inside one custom section (name, target_features, DWARF,
// sourceMappingURL: V8 never parses most of them, so the module still validates
// and reaches the rewrite) or inside the code section.
// Snapshot mutants: raw bytes (the checksum catches them), the same with the
// checksum recomputed (so the header and columns are really parsed), and header
// values (prefix counts, column widths, JSON members) changed on purpose.

import { crc32 } from '@wasm-tracemalloc/runtime/model';

/** sfc32 seeded by cyrb128 of a string: small, fast, and the same on every platform. */
export function seededRandom(key) {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < key.length; i++) {
    const k = key.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  let a = h1 >>> 0, b = h2 >>> 0, c = h3 >>> 0, d = h4 >>> 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (list) => list[int(list.length)], chance: (p) => next() < p };
}

// ---------------------------------------------------------------------------------
// Wasm structure, read here independently of the reader under test.

function readLeb(bytes, at) {
  let value = 0, shift = 0, length = 0;
  for (;;) {
    const b = bytes[at + length++];
    if (b === undefined || length > 5) return undefined;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return { value, length };
  }
}

/** The sections of a module: header offset, size LEB position, payload, custom name. */
export function wasmSections(bytes) {
  const sections = [];
  let at = 8;
  while (at < bytes.length) {
    const size = readLeb(bytes, at + 1);
    if (!size) break;
    const payload = at + 1 + size.length;
    const end = payload + size.value;
    if (end > bytes.length) break;
    const section = { id: bytes[at], header: at, sizeAt: at + 1, sizeLength: size.length, payload, end };
    if (section.id === 0) {
      const nameLength = readLeb(bytes, payload);
      if (nameLength) {
        section.contentStart = payload + nameLength.length + nameLength.value;
        section.name = new TextDecoder().decode(bytes.subarray(payload + nameLength.length, section.contentStart));
      }
    }
    sections.push(section);
    at = end;
  }
  return sections;
}

// ---------------------------------------------------------------------------------
// Byte-level edits.

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x1b /* ESC */, 0x0a, 0xc0 /* bad UTF-8 lead */, 0x41];

function randomByte(rng) {
  return rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
}

/** A position: half the time in a section header (id, size LEB, custom name length), else anywhere. */
function biasedPosition(rng, bytes, sections) {
  if (sections.length && rng.chance(0.5)) {
    const s = rng.pick(sections);
    const headerEnd = s.id === 0 ? Math.min(s.end, s.payload + 2) : s.payload;
    return s.header + rng.int(Math.max(1, headerEnd - s.header));
  }
  return rng.int(bytes.length);
}

function setByte(rng, bytes, at) {
  const out = bytes.slice();
  out[at] = randomByte(rng);
  return { bytes: out, what: `byte ${at} = 0x${out[at].toString(16)}`, at };
}

function flipBit(rng, bytes, at) {
  const out = bytes.slice();
  const bit = rng.int(8);
  out[at] ^= 1 << bit;
  return { bytes: out, what: `byte ${at} bit ${bit} flipped`, at };
}

function insertBytes(rng, bytes, at) {
  const n = 1 + rng.int(4);
  const extra = Uint8Array.from({ length: n }, () => randomByte(rng));
  const out = new Uint8Array(bytes.length + n);
  out.set(bytes.subarray(0, at));
  out.set(extra, at);
  out.set(bytes.subarray(at), at + n);
  return { bytes: out, what: `${n} bytes inserted at ${at}`, at };
}

function deleteBytes(rng, bytes, at) {
  const n = 1 + rng.int(4);
  const out = new Uint8Array(Math.max(0, bytes.length - n));
  out.set(bytes.subarray(0, at));
  out.set(bytes.subarray(at + n), at);
  return { bytes: out, what: `${n} bytes deleted at ${at}`, at };
}

/** Rewrites a LEB128 in its own width (padded), so no other byte moves. */
function writePaddedLeb(out, at, length, value) {
  for (let i = 0; i < length; i++) {
    out[at + i] = (value & 0x7f) | (i < length - 1 ? 0x80 : 0);
    value = Math.floor(value / 128);
  }
}

function nudgedSize(rng, size, length) {
  const max = 2 ** (7 * length) - 1;
  const candidates = [0, 1, size - 1, size + 1, size + 1 + rng.int(64), Math.max(0, size - 1 - rng.int(64)), max, Math.floor(size / 2), size * 2];
  return Math.min(max, Math.max(0, rng.pick(candidates)));
}

// ---------------------------------------------------------------------------------
// Instrument mutators: (rng, module bytes, sections) → { bytes, what }.

const EDITABLE_CUSTOM = (name) => name === 'name' || name === 'target_features' || name === 'sourceMappingURL' || name === 'producers' || name === 'external_debug_info' || name.startsWith('.debug_');

/** A size-preserving edit of a few bytes in [from, to), with the values names and DWARF trip on. */
function editInPlace(rng, bytes, from, to, label) {
  const out = bytes.slice();
  const n = 1 + rng.int(rng.chance(0.7) ? 2 : 8);
  const at = [];
  for (let i = 0; i < n && to > from; i++) {
    const p = from + rng.int(to - from);
    const r = rng.next();
    if (r < 0.4) out[p] = randomByte(rng);
    else if (r < 0.7) out[p] ^= 1 << rng.int(8);
    else if (r < 0.85) out[p] = (out[p] + (rng.chance(0.5) ? 1 : 255)) & 0xff; // a length or index off by one
    else out[p] = 0x00; // a NUL inside a name
    at.push(p);
  }
  return { bytes: out, what: `${label}: bytes ${at.join(', ')} changed in place` };
}

export const INSTRUMENT_MUTATORS = {
  'byte-set': (rng, bytes, sections) => setByte(rng, bytes, biasedPosition(rng, bytes, sections)),
  'bit-flip': (rng, bytes, sections) => flipBit(rng, bytes, biasedPosition(rng, bytes, sections)),
  'insert': (rng, bytes, sections) => insertBytes(rng, bytes, biasedPosition(rng, bytes, sections)),
  'delete': (rng, bytes, sections) => deleteBytes(rng, bytes, biasedPosition(rng, bytes, sections)),
  'section-size': (rng, bytes, sections) => {
    const s = rng.pick(sections);
    const size = s.end - s.payload;
    const value = nudgedSize(rng, size, s.sizeLength);
    const out = bytes.slice();
    writePaddedLeb(out, s.sizeAt, s.sizeLength, value);
    return { bytes: out, what: `section ${s.name ?? s.id} at ${s.header}: size ${size} → ${value}` };
  },
  'custom-in-place': (rng, bytes, sections) => {
    const custom = sections.filter((s) => s.id === 0 && s.name !== undefined && EDITABLE_CUSTOM(s.name) && s.contentStart < s.end);
    if (!custom.length) return setByte(rng, bytes, biasedPosition(rng, bytes, sections));
    const s = rng.pick(custom);
    // Names and lengths sit at the start of most sections: bias there half the time.
    const to = rng.chance(0.5) ? Math.min(s.end, s.contentStart + 64) : s.end;
    return editInPlace(rng, bytes, s.contentStart, to, `custom section "${s.name}"`);
  },
  // The name section's subsections (module, function, local names…) each carry a size.
  'name-subsection-size': (rng, bytes, sections) => {
    const names = sections.find((s) => s.id === 0 && s.name === 'name');
    const subsections = [];
    for (let at = names?.contentStart ?? 0; names && at < names.end; ) {
      const size = readLeb(bytes, at + 1);
      if (!size) break;
      subsections.push({ id: bytes[at], sizeAt: at + 1, sizeLength: size.length, size: size.value });
      at += 1 + size.length + size.value;
    }
    if (!subsections.length) return INSTRUMENT_MUTATORS['section-size'](rng, bytes, sections);
    const sub = rng.pick(subsections);
    const value = nudgedSize(rng, sub.size, sub.sizeLength);
    const out = bytes.slice();
    writePaddedLeb(out, sub.sizeAt, sub.sizeLength, value);
    return { bytes: out, what: `custom section "name": subsection ${sub.id} size ${sub.size} → ${value}` };
  },
  // A one-byte length followed by that many printable bytes is, in practice, a
  // string's length: a function name, a feature, a producer, a URL.
  'string-length': (rng, bytes, sections) => {
    const custom = sections.filter((s) => s.id === 0 && s.name !== undefined && EDITABLE_CUSTOM(s.name) && s.contentStart < s.end);
    if (!custom.length) return INSTRUMENT_MUTATORS['section-size'](rng, bytes, sections);
    const s = rng.pick(custom);
    const from = s.contentStart + rng.int(Math.max(1, s.end - s.contentStart - 4096));
    const lengths = [];
    for (let at = from; at < Math.min(s.end, from + 4096); at++) {
      const n = bytes[at];
      if (n < 3 || n > 0x7f || at + 1 + n > s.end) continue;
      let printable = true;
      for (let k = at + 1; k <= at + n && printable; k++) printable = bytes[k] >= 0x20 && bytes[k] < 0x7f;
      if (printable) lengths.push(at);
    }
    if (!lengths.length) return editInPlace(rng, bytes, s.contentStart, s.end, `custom section "${s.name}"`);
    const at = rng.pick(lengths);
    const out = bytes.slice();
    out[at] = rng.pick([0, out[at] - 1, out[at] + 1, 0x7f, rng.int(0x80)]) & 0x7f;
    return { bytes: out, what: `custom section "${s.name}": string length at ${at} ${bytes[at]} → ${out[at]}` };
  },
  'code-in-place': (rng, bytes, sections) => {
    const code = sections.find((s) => s.id === 10);
    if (!code) return setByte(rng, bytes, biasedPosition(rng, bytes, sections));
    return editInPlace(rng, bytes, code.payload, code.end, 'code section');
  },
};

// Custom sections are where V8 accepts what we might not, so they get the most mutants.
const INSTRUMENT_WEIGHTS = { 'byte-set': 1, 'bit-flip': 1, 'insert': 1, 'delete': 1, 'section-size': 1, 'name-subsection-size': 1, 'string-length': 2, 'custom-in-place': 4, 'code-in-place': 1 };

// ---------------------------------------------------------------------------------
// Snapshot mutators: (rng, snapshot bytes) → { bytes, what }.

const PREFIX_FIELDS_V1 = { version: 8, headerLength: 12, traceCount: 16, reserved: 20 };
const PREFIX_FIELDS_V2 = { version: 8, headerLength: 12, traceCount: 16, tracebackCount: 20, frameRefs: 24, reserved: 28 };

function fixChecksum(bytes) {
  if (bytes.length < 4) return bytes;
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
  return bytes;
}

function prefixLength(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true) === 1 ? 24 : 40;
}

function rawEdit(rng, bytes) {
  const r = rng.next();
  const at = rng.int(bytes.length);
  if (r < 0.35) return setByte(rng, bytes, at);
  if (r < 0.6) return flipBit(rng, bytes, at);
  if (r < 0.75) return insertBytes(rng, bytes, at);
  if (r < 0.9) return deleteBytes(rng, bytes, at);
  const cut = rng.int(bytes.length);
  return { bytes: bytes.slice(0, cut), what: `truncated to ${cut} bytes` };
}

/** A JSON value a faulty writer might produce instead of `value`. */
function wrongJsonValue(rng, value) {
  const choices = [null, -1, 0, 1.5, 1e308, -0, 2 ** 32, 2 ** 53, '', 'x\u001b[2J\u0000', [], {}, true, 'NaN'];
  if (Array.isArray(value) && value.length && rng.chance(0.5)) {
    const copy = value.slice();
    copy[rng.int(copy.length)] = rng.pick(choices);
    return copy;
  }
  if (typeof value === 'number' && rng.chance(0.5)) return value + rng.pick([-1, 1, 1000, -value - 1]);
  return rng.pick(choices);
}

/** Every path to a member of the JSON header (objects and the first entries of arrays). */
function jsonPaths(value, path = [], out = []) {
  if (path.length) out.push(path);
  if (Array.isArray(value)) value.slice(0, 4).forEach((v, i) => jsonPaths(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const k of Object.keys(value)) jsonPaths(value[k], [...path, k], out);
  return out;
}

/** The file with its JSON header replaced: the columns move to the new 8-byte boundary. */
function withHeader(bytes, text) {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const prefix = prefixLength(bytes);
  const oldLength = view.getUint32(12, true);
  const header = new TextEncoder().encode(text);
  const align8 = (n) => Math.ceil(n / 8) * 8;
  const rest = bytes.subarray(align8(prefix + oldLength));
  const out = new Uint8Array(align8(prefix + header.length) + rest.length);
  out.set(bytes.subarray(0, prefix));
  out.set(header, prefix);
  out.set(rest, align8(prefix + header.length));
  new DataView(out.buffer).setUint32(12, header.length, true);
  return fixChecksum(out);
}

export const SNAPSHOT_MUTATORS = {
  'raw': (rng, bytes) => rawEdit(rng, bytes),
  'raw-checksum-fixed': (rng, bytes) => {
    const m = rawEdit(rng, bytes);
    return { bytes: fixChecksum(m.bytes), what: `${m.what}, checksum fixed` };
  },
  'prefix-value': (rng, bytes) => {
    const out = bytes.slice();
    const view = new DataView(out.buffer);
    const fields = prefixLength(bytes) === 24 ? PREFIX_FIELDS_V1 : PREFIX_FIELDS_V2;
    const [name, at] = rng.pick(Object.entries(fields));
    const old = view.getUint32(at, true);
    const value = rng.pick([0, 1, 2, 3, 4, old + 1, old - 1, old * 2, 0x7fffffff, 0xffffffff, 2 ** 28, rng.int(2 ** 32)]) >>> 0;
    view.setUint32(at, value, true);
    const fixed = rng.chance(0.8);
    return { bytes: fixed ? fixChecksum(out) : out, what: `${name} ${old} → ${value}${fixed ? ', checksum fixed' : ''}` };
  },
  'column-width': (rng, bytes) => {
    if (prefixLength(bytes) === 24) return SNAPSHOT_MUTATORS['prefix-value'](rng, bytes);
    const out = bytes.slice();
    const at = 32 + rng.int(8);
    const old = out[at];
    out[at] = rng.pick([0, 1, 2, 3, 4, 8, 16, 255]);
    return { bytes: fixChecksum(out), what: `column width byte ${at} ${old} → ${out[at]}, checksum fixed` };
  },
  'header-json': (rng, bytes) => {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const prefix = prefixLength(bytes);
    const text = new TextDecoder().decode(bytes.subarray(prefix, prefix + view.getUint32(12, true)));
    const header = JSON.parse(text);
    const paths = jsonPaths(header);
    const path = rng.pick(paths);
    let parent = header;
    for (const key of path.slice(0, -1)) parent = parent[key];
    const key = path[path.length - 1];
    let what;
    if (rng.chance(0.2) && !Array.isArray(parent)) {
      delete parent[key];
      what = `header member ${path.join('.')} removed`;
    } else {
      parent[key] = wrongJsonValue(rng, parent[key]);
      what = `header member ${path.join('.')} = ${JSON.stringify(parent[key])?.slice(0, 60)}`;
    }
    return { bytes: withHeader(bytes, JSON.stringify(header)), what: `${what}, checksum fixed` };
  },
};

const SNAPSHOT_WEIGHTS = { 'raw': 2, 'raw-checksum-fixed': 3, 'prefix-value': 2, 'column-width': 1, 'header-json': 4 };

function regionOf(what) {
  const custom = /custom section "([^"]*)"/.exec(what);
  if (custom) return custom[1].startsWith('.debug_') ? 'DWARF' : custom[1];
  return what.startsWith('code section') ? 'code' : 'structure';
}

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount', 'tag'];

/** Where byte `at` is: a section's header, or its content (custom sections by name, DWARF as one). */
function regionAt(sections, at) {
  const s = sections.find((x) => at >= x.header && at < x.end);
  if (!s) return at < 8 ? 'preamble' : 'structure';
  const name = s.id === 0 ? (s.name?.startsWith('.debug_') ? 'DWARF' : s.name ?? 'custom') : SECTION_NAMES[s.id] ?? `section ${s.id}`;
  return at < (s.contentStart ?? s.payload) ? `${name} header` : name;
}

function weightedPick(rng, weights) {
  const entries = Object.entries(weights);
  let r = rng.next() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [name, w] of entries) if ((r -= w) < 0) return name;
  return entries[entries.length - 1][0];
}

/**
 * Mutant `index` of `seed`: a corpus item and one to three stacked edits of it.
 * Returns { bytes, original (corpus item name), what (the edits), regions (what
 * they touched: a custom section, "DWARF", "code", "structure"; for snapshots the
 * mutators), options (instrument's maxFrames and symbols) }.
 */
export function makeMutant(kind, seed, index, corpus) {
  const rng = seededRandom(`${kind}:${seed}:${index}`);
  const item = rng.pick(corpus);
  const rounds = rng.chance(0.75) ? 1 : 2 + rng.int(2);
  let bytes = item.bytes;
  const steps = [];
  const regions = new Set();
  for (let i = 0; i < rounds && bytes.length > 0; i++) {
    if (kind === 'instrument') {
      const name = weightedPick(rng, INSTRUMENT_WEIGHTS);
      const sections = wasmSections(bytes);
      if (!sections.length) break;
      const m = INSTRUMENT_MUTATORS[name](rng, bytes, sections);
      bytes = m.bytes;
      steps.push(`${name}: ${m.what}`);
      regions.add(m.at === undefined ? regionOf(m.what) : regionAt(sections, m.at));
    } else {
      // Stacked edits after the first only make sense while the header still parses.
      const name = i === 0 ? weightedPick(rng, SNAPSHOT_WEIGHTS) : 'raw-checksum-fixed';
      if (bytes.length < 44) break;
      let m;
      try {
        m = SNAPSHOT_MUTATORS[name](rng, bytes);
      } catch {
        break; // an earlier edit left a header this mutator cannot parse
      }
      bytes = m.bytes;
      steps.push(`${name}: ${m.what}`);
      regions.add(name);
    }
  }
  // Drawn apart from the edits, so that choosing options never changes a mutant's bytes.
  const choose = seededRandom(`${kind}:${seed}:${index}:options`);
  const options = kind === 'instrument' ? { maxFrames: choose.chance(0.25) ? 1 : 128, symbols: choose.chance(0.15) ? 'side' : 'embed' } : {};
  return { bytes, original: item.name, what: steps.join('; '), regions: [...regions].sort(), options };
}
