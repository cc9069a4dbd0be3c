// Types for stats.mjs (the benchmark protocol's statistics).
export type Verdict = 'slower' | 'faster' | 'within noise';
export const MIN_ROUNDS_FOR_VERDICT: number;
export interface Comparison {
  rounds: number;
  median: number;
  low: number;
  high: number;
  verdict: Verdict | 'too few rounds';
}
export interface BootstrapOptions {
  statistic?: (xs: number[]) => number;
  resamples?: number;
  confidence?: number;
  seed?: number;
}
export function median(xs: readonly number[]): number;
export function quantile(xs: ArrayLike<number> & Iterable<number>, q: number): number;
export function coefficientOfVariation(xs: readonly number[]): number;
export function seededRandom(seed: number): () => number;
export function bootstrapInterval(xs: readonly number[], options?: BootstrapOptions): [number, number];
export function pairedRatios(baseline: readonly number[], treatment: readonly number[]): number[];
export function pairedDifferences(baseline: readonly number[], treatment: readonly number[]): number[];
export function verdictOf(interval: readonly [number, number]): Verdict;
export function compareRounds(baseline: readonly number[], treatment: readonly number[], options?: BootstrapOptions): Comparison;
export function formatComparison(c: Comparison): string;
