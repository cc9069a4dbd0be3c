// The fuzzer's CI slice (test/fuzz/): a fixed set of mutants of each kind, which
// must all hold their property (test/fuzz/properties.mjs). The full campaign runs
// on demand: npm run fuzz -- --count 10000. A failure here lists each defect class
// with the command that regenerates one mutant of it, and the mutants are written
// to test-output/fuzz/ci/.

import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSnapshot } from '@wasm-tracemalloc/runtime/model';
import { runCampaign, reproduceCommand, type CampaignReport } from './fuzz/campaign.mjs';
import { moduleCorpus, snapshotCorpus } from './fuzz/corpus.mjs';
import { makeMutant, wasmSections, INSTRUMENT_MUTATORS, SNAPSHOT_MUTATORS, seededRandom } from './fuzz/mutators.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'test-output/fuzz/ci');
// Mutants 0 … N-1 of seed 1 (what `npm run fuzz` starts with): sized to finish in
// about half a minute on 2 busy cores.
const SEED = 1;
const SLICE = { instrument: 200, snapshot: 300 };

beforeAll(() => {
  execFileSync('bash', [join(ROOT, 'test/fixtures/build.sh')], { stdio: 'pipe' });
});

/** "3 × CLASS: npm run fuzz -- …" per class, so a red run says what to route where. */
function defectList(report: CampaignReport): string[] {
  return [...report.byClass].map(([defect, { count, first }]) => `${count} × ${defect}: ${reproduceCommand(report.kind, report.seed, first.index)}`);
}

describe('mutants are regenerable one at a time', () => {
  it('mutant i of seed S is the same bytes whenever it is made, and another index gives another mutant', () => {
    const corpus = moduleCorpus();
    const a = makeMutant('instrument', SEED, 17, corpus);
    const b = makeMutant('instrument', SEED, 17, corpus);
    expect(b.bytes).toEqual(a.bytes);
    expect(b.what).toBe(a.what);
    expect(makeMutant('instrument', SEED, 18, corpus).what).not.toBe(a.what);
    expect(makeMutant('instrument', SEED + 1, 17, corpus).what).not.toBe(a.what);
  });

  it('the PRNG is the same sequence on every platform and Node version (sfc32 seeded by cyrb128, no Math.random)', () => {
    const rng = seededRandom('instrument:1:0');
    expect(Array.from({ length: 4 }, () => rng.int(1_000_000))).toEqual([524369, 459307, 79242, 706757]);
  });
});

describe('mutators', () => {
  it('an in-place edit of a custom section keeps the size and touches that section only', () => {
    const item = moduleCorpus().find((m) => m.name === 'leak.wasm')!;
    const sections = wasmSections(item.bytes);
    expect(sections.filter((s) => s.id === 0).map((s) => s.name)).toEqual(expect.arrayContaining(['name', 'target_features', '.debug_info', '.debug_line']));
    for (let i = 0; i < 50; i++) {
      const m = INSTRUMENT_MUTATORS['custom-in-place']!(seededRandom(`edit:${i}`), item.bytes, sections);
      const name = /custom section "([^"]*)"/.exec(m.what)![1];
      const section = sections.find((s) => s.name === name)!;
      expect(m.bytes.length).toBe(item.bytes.length);
      const changed = [...m.bytes.keys()].filter((k) => m.bytes[k] !== item.bytes[k]);
      for (const k of changed) expect(k >= section.contentStart! && k < section.end, `${m.what}: byte ${k}`).toBe(true);
    }
  });

  it('a snapshot edit with the checksum fixed gets past the checksum, so the reader parses what changed', () => {
    const item = snapshotCorpus().find((s) => s.name === 'leak_cli.v2.wtmsnap')!;
    expect(() => decodeSnapshot(item.bytes, 'x')).not.toThrow();
    for (let i = 0; i < 30; i++) {
      const m = SNAPSHOT_MUTATORS['header-json']!(seededRandom(`json:${i}`), item.bytes);
      let message = '';
      try {
        decodeSnapshot(m.bytes, 'x');
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, m.what).not.toMatch(/checksum says|truncated|unexpected bytes after its end/);
    }
  });
});

describe('the runner', () => {
  it('classifies a mutant that overruns its time bound as a hang and kills its worker', async () => {
    const report = await runCampaign({ kind: 'instrument', seed: SEED, indices: [3], workers: 1, timeoutMs: 1 });
    expect(report.defects.map((d) => d.defect)).toEqual(['hang: over 0.001 s']);
  });
});

describe(`CI slice: mutants 0-${SLICE.instrument - 1} (instrument) and 0-${SLICE.snapshot - 1} (snapshot) of seed ${SEED}`, () => {
  it('instrument: every mutant is refused with an InstrumentError, instrumented into a module V8 accepts, or left unchanged with a warning', async () => {
    const report = await runCampaign({ kind: 'instrument', seed: SEED, count: SLICE.instrument, out: join(OUT, 'instrument') });
    expect(report.checked).toBe(SLICE.instrument);
    // The slice reaches both sides of the property: refusals and outputs that run.
    expect(Object.keys(report.verdicts).filter((v) => v.startsWith('refused ('))).not.toEqual([]);
    expect(report.verdicts['instrumented and instantiated']).toBeGreaterThan(0);
    expect(defectList(report)).toEqual([]);
  });

  it('Snapshot.load and show: every mutant gives one clear line naming the file, or loads into a working snapshot', async () => {
    const report = await runCampaign({ kind: 'snapshot', seed: SEED, count: SLICE.snapshot, out: join(OUT, 'snapshot') });
    expect(report.checked).toBe(SLICE.snapshot);
    expect(report.verdicts['refused']).toBeGreaterThan(0);
    expect(report.verdicts['loaded']).toBeGreaterThan(0);
    expect(defectList(report)).toEqual([]);
  });
});
