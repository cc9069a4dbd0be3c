// A worker process of the fuzz pool: regenerates each mutant it is sent (by kind,
// seed and index: only numbers cross the pipe) and checks its property. It runs in
// a process of its own so that an abort() inside binaryen, a hang or an
// out-of-memory ends this process, which the runner sees and classifies, and not
// the campaign.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { corpusFor, sourceMaps } from './corpus.mjs';
import { makeMutant } from './mutators.mjs';
import { checkInstrument, checkSnapshot } from './properties.mjs';

const corpora = {};
const maps = sourceMaps();
const snapshotFile = join(tmpdir(), `wtm-fuzz-${process.pid}.wtmsnap`);
process.on('exit', () => rmSync(snapshotFile, { force: true }));

process.on('message', async ({ kind, seed, index }) => {
  const mutant = makeMutant(kind, seed, index, (corpora[kind] ??= corpusFor(kind)));
  const started = performance.now();
  let outcome;
  try {
    outcome = kind === 'instrument' ? await checkInstrument(mutant.bytes, { sourceMaps: maps, options: mutant.options }) : await checkSnapshot(mutant.bytes, { file: snapshotFile });
  } catch (e) {
    // The checks catch what the code under test throws; this is the fuzzer's own failure.
    outcome = { defect: `fuzzer error: ${e?.message}`, detail: e?.stack ?? String(e) };
  }
  process.send({ index, regions: mutant.regions, ms: performance.now() - started, rss: process.memoryUsage().rss, ...outcome });
});
// The runner gone (killed, or it crashed): nothing will ask for more.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
