// Types for campaign.mjs, for test/fuzz.test.ts.
export type FuzzKind = 'instrument' | 'snapshot';

export interface Outcome {
  index: number;
  ms?: number;
  /** The class of the defect; absent when the property held. */
  defect?: string;
  detail?: string;
  /** What the mutant's edits touched (a custom section, "DWARF", "code", "structure"; a snapshot mutator). */
  regions?: string[];
  /** How the property held: refused, loaded, instrumented and instantiated… */
  verdict?: string;
  rss?: number;
}

export interface CampaignReport {
  kind: FuzzKind;
  seed: number;
  checked: number;
  defects: Outcome[];
  byClass: Map<string, { count: number; first: Outcome; files: string[]; regions: Record<string, number> }>;
  verdicts: Record<string, number>;
  seconds: number;
  slowest: Array<{ index: number; ms: number }>;
  /** The most resident memory a worker had after a mutant. */
  peakRssMiB: number;
  corpus: string[];
}

export const DEFAULT_TIMEOUT_MS: Record<FuzzKind, number>;
export function reproduceCommand(kind: FuzzKind, seed: number, index: number): string;
export function runCampaign(options: {
  kind: FuzzKind;
  seed: number;
  start?: number;
  count?: number;
  indices?: number[];
  workers?: number;
  timeoutMs?: number;
  out?: string;
  keepPerClass?: number;
  onProgress?: (checked: number, total: number, defects: number) => void;
}): Promise<CampaignReport>;
