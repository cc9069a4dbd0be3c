// Types for mutators.mjs, for test/fuzz.test.ts.
export interface Mutant {
  bytes: Uint8Array;
  /** The corpus item it was made from. */
  original: string;
  /** The edits, in order, with their byte offsets. */
  what: string;
  regions: string[];
  /** For instrument: the options it is instrumented with. */
  options: { maxFrames?: number; symbols?: 'embed' | 'side' };
}
export interface WasmSection {
  id: number;
  header: number;
  sizeAt: number;
  sizeLength: number;
  payload: number;
  end: number;
  name?: string;
  contentStart?: number;
}
export function seededRandom(key: string): { next(): number; int(n: number): number; pick<T>(list: readonly T[]): T; chance(p: number): boolean };
export function wasmSections(bytes: Uint8Array): WasmSection[];
export function makeMutant(kind: 'instrument' | 'snapshot', seed: number, index: number, corpus: Array<{ name: string; bytes: Uint8Array }>): Mutant;
/** `at`: the byte offset a positional edit was made at. */
type Mutator = (rng: ReturnType<typeof seededRandom>, bytes: Uint8Array, sections: WasmSection[]) => { bytes: Uint8Array; what: string; at?: number };
export const INSTRUMENT_MUTATORS: Record<string, Mutator>;
export const SNAPSHOT_MUTATORS: Record<string, (rng: ReturnType<typeof seededRandom>, bytes: Uint8Array) => { bytes: Uint8Array; what: string }>;
