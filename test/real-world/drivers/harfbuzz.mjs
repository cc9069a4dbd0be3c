// harfbuzzjs 1.6.4 (Emscripten; export names kept, so `malloc`/`free` are found by
// name): shape a paragraph with a font generated here (no package on npm ships a font
// file we depend on): 95 glyphs for printable ASCII with distinct advances, and a GSUB
// `liga` lookup that forms "fi". harfbuzzjs frees its objects only from a
// FinalizationRegistry, when the GC collects them; the driver keeps them reachable, so
// no free depends on GC timing, and they are still allocated at exit.

import { digest, main } from './_main.mjs';
import * as hb from 'harfbuzzjs';

const FI = 96; // the ligature glyph
const glyphOf = (code) => (code >= 32 && code <= 126 ? code - 31 : 0);

/** A TrueType font: head, hhea, maxp, hmtx, cmap (format 4) and GSUB (one ligature). */
export function makeFont() {
  const numGlyphs = 97;
  const u16 = (...v) => v.flatMap((x) => [(x >> 8) & 255, x & 255]);
  const u32 = (...v) => v.flatMap((x) => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);
  const advance = (g) => (g === 0 ? 500 : 300 + ((g * 37) % 400));
  const tables = {
    head: [...u32(0x10000, 0x10000, 0, 0x5f0f3cf5), ...u16(0, 1000), ...u32(0, 0, 0, 0), ...u16(0, (-200) & 0xffff, 1000, 800, 0, 8, 2, 0, 0)],
    hhea: [...u32(0x10000), ...u16(800, (-200) & 0xffff, 0, 700, 0, 0, 700, 1, 0, 0, 0, 0, 0, 0, 0, numGlyphs)],
    maxp: u32(0x5000).concat(u16(numGlyphs)),
    hmtx: Array.from({ length: numGlyphs }, (_, g) => u16(advance(g), 0)).flat(),
    // One segment 32..126 → glyphs 1..95 (idDelta −31), and the final 0xFFFF segment.
    cmap: [...u16(0, 1, 3, 1), ...u32(12), ...u16(4, 32, 0, 4, 4, 1, 0), ...u16(126, 0xffff, 0, 32, 0xffff), ...u16((-31) & 0xffff, 1, 0, 0)],
    GSUB: [
      ...u16(1, 0, 10, 30, 44), // header: ScriptList at 10, FeatureList at 30, LookupList at 44
      ...u16(1), ...u32(0x44464c54), ...u16(8), ...u16(4, 0), ...u16(0, 0xffff, 1, 0), // DFLT → LangSys → feature 0
      ...u16(1), ...u32(0x6c696761), ...u16(8), ...u16(0, 1, 0), // 'liga' → lookup 0
      ...u16(1, 4), ...u16(4, 0, 1, 8), // LookupList → Lookup type 4 → subtable at 8
      ...u16(1, 8, 1, 14), ...u16(1, 1, glyphOf(0x66)), ...u16(1, 4), ...u16(FI, 2, glyphOf(0x69)), // f + i → fi
    ],
  };
  const tags = Object.keys(tables).sort();
  let offset = 12 + 16 * tags.length;
  const directory = [...u32(0x10000), ...u16(tags.length, 64, 2, tags.length * 16 - 64)];
  const data = [];
  for (const tag of tags) {
    const t = tables[tag];
    directory.push(...[...tag].map((c) => c.charCodeAt(0)), ...u32(0, offset, t.length));
    data.push(...t, ...new Array((4 - (t.length % 4)) % 4).fill(0));
    offset += t.length + ((4 - (t.length % 4)) % 4);
  }
  return new Uint8Array([...directory, ...data]);
}

const TEXT = 'The fine office files find fifty fish. '.repeat(20) + 'Sphinx of black quartz, judge my vow!';
const kept = [];

export async function run(checkpoint) {
  checkpoint('loaded');
  const blob = new hb.Blob(makeFont());
  const face = new hb.Face(blob, 0);
  const font = new hb.Font(face);
  font.setScale(1000, 1000);
  kept.push(blob, face, font);
  checkpoint('font');
  const lines = [];
  const all = [];
  for (const [i, text] of [TEXT, TEXT.toUpperCase(), TEXT.split('').reverse().join('')].entries()) {
    const buffer = new hb.Buffer();
    kept.push(buffer);
    buffer.addText(text);
    buffer.guessSegmentProperties();
    hb.shape(font, buffer);
    const glyphs = buffer.getGlyphInfosAndPositions();
    const width = glyphs.reduce((w, g) => w + g.xAdvance, 0);
    lines.push(`text ${i}: ${text.length} chars → ${glyphs.length} glyphs (${glyphs.filter((g) => g.codepoint === FI).length} fi), width ${width}`);
    all.push(...glyphs.flatMap((g) => [g.codepoint, g.cluster, g.xAdvance]));
  }
  checkpoint('shaped');
  return [`harfbuzz ${hb.versionString()}`, ...lines, `digest ${digest(new Int32Array(all))}`];
}

main(import.meta.url, run);
