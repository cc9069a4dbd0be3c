import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as model from './index.js';

describe('model index', () => {
  it('exports the public API', () => {
    expect(Object.keys(model).sort()).toEqual([
      'BufferPool',
      'DomainFilter',
      'Filter',
      'Frame',
      'InvalidSnapshotError',
      'SNAPSHOT_FORMAT_VERSION',
      'SNAPSHOT_MAGIC',
      'Snapshot',
      'SnapshotBuilder',
      'Statistic',
      'StatisticDiff',
      'TRACEBACK_COUNTERS',
      'Trace',
      'Traceback',
      'UNKNOWN_FRAME',
      'compareCodePoints',
      'crc32',
      'decodeSnapshot',
      'encodeSnapshot',
      'estimatedBytes',
      'findSnapshotDataProblem',
      'fnmatch',
      'fnmatchToRegExp',
      'formatFixed',
      'formatSize',
      'frameKey',
      'isSamplingInterval',
      'parseSize',
      'radixSortDescending',
      'sampleProbability',
      'sampleWeight',
      'validateSnapshotData',
    ]);
  });

  it('is pure code: no Node or DOM APIs outside the tests', () => {
    const dir = new URL('.', import.meta.url);
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThanOrEqual(14);
    const forbidden = /\b(Buffer|require|process|document|window|globalThis|setTimeout|fetch|localStorage)\b|from ['"](node:|fs|path|zlib|os)/;
    for (const file of sources) {
      const code = readFileSync(new URL(file, dir), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect([file, forbidden.exec(code)?.[0]]).toEqual([file, undefined]);
    }
  });
});
