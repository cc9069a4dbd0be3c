// Types for report.mjs (the tables of a batch).
import type { Comparison } from './stats.mjs';
export interface RoundTimes {
  first: number[];
  steady: number[];
}
export interface ModeComparison {
  first: Comparison;
  steady: Comparison;
  nsPerPair?: { median: number; low: number; high: number };
}
export interface MachineDrift {
  medianMs: number;
  cv: number;
  drift: number;
  steady: boolean;
}
export const MAX_REFERENCE_DRIFT: number;
export function formatMs(ms: number): string;
export function compareMode(original: RoundTimes, mode: RoundTimes, pairs?: number): ModeComparison;
export function tableHeader(extra?: string[]): string[];
export function modeRow(label: string, times: RoundTimes, comparison: ModeComparison | undefined, options?: { nsPerPair?: boolean; extra?: string[] }): string;
export function machineDrift(referenceSteady: number[]): MachineDrift;
export function driftNote(d: MachineDrift): string;
export const WORKLOAD_TITLES: Record<string, string>;
export function modeLabels(sampleBytes: number | string): Record<string, string>;
