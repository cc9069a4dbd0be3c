// Types for corpus.mjs, for test/fuzz.test.ts.
export interface CorpusItem {
  name: string;
  bytes: Uint8Array;
}
export const CORPUS_DIR: string;
export function moduleCorpus(): CorpusItem[];
export function snapshotCorpus(): CorpusItem[];
export function sourceMaps(): Record<string, string>;
export function corpusFor(kind: 'instrument' | 'snapshot'): CorpusItem[];
