// Types for common.mjs (what the benchmark scripts share).
export { median } from './stats.mjs';
export const CHURN_QUIET_MEMORY: number;
export const CHURN_FACTS: { liveBlocks: number; liveBytes: number; pairs: number };
export function buildChurn(options?: { name?: string; initialMemoryBytes?: number }): string;
export function functionNames(bytes: Uint8Array): Set<string>;
export function importBuilt(specifier: string, packageName: string): Promise<unknown>;
