import type { BackendName } from '../backend/types.js';
import type { Feeds } from '../tensor/types.js';

/** One configuration the tuner can try. */
export interface TuneCandidate {
  /** e.g. "wasm ×2 threads", "webgpu", "wasm 2 workers × 1 thread". */
  label: string;
  backend: BackendName;
  threads: number;
  workers: number;
  graphOptimizationLevel: 'all' | 'basic';
  /** A custom ORT module (see LoadOptions / tests of the guard). */
  ortModuleUrl?: string;
}

export interface TuneOptions {
  /** Time for the candidates after the wasm reference (which always runs): later ones are skipped, a running one is cut (default 5000 ms). */
  budgetMs?: number;
  /** Probe inputs (a batch of one or more rows, tiled to other batch sizes); default: seeded random values shaped like the inputs. */
  inputs?: Feeds;
  /** 'usable' (default): backends the capability probe found usable. 'all': also software WebGPU and optimization levels. */
  candidates?: 'usable' | 'all';
  /** Extra candidates, e.g. a custom ORT build via ortModuleUrl. */
  extra?: Array<Partial<TuneCandidate> & { backend: BackendName; label: string }>;
  /** A candidate agrees with the wasm reference when cosine ≥ this (default 0.995)... */
  minCosine?: number;
  /** ...and max |diff| ≤ this × max |reference| (default 0.05). */
  maxRelativeError?: number;
}

export type CandidateStatus = 'winner' | 'ok' | 'wrong' | 'failed' | 'skipped';

export interface TuneCandidateReport extends TuneCandidate {
  status: CandidateStatus;
  /** Round-trip latency per batch size measured, ms: the lower quartile over rounds (interference only adds time). */
  latencyMs: Record<number, number>;
  /** Rows per second at the batch the scheduler forms, with all its workers busy: the upper quartile over rounds. */
  rowsPerSecond?: number;
  /** The ranked figure of each round it was measured in (ms at batch 1, or rows/s), in order: the spread behind the quartile. */
  rounds?: number[];
  maxAbsDiff?: number;
  cosine?: number;
  /** Why it failed, was rejected or skipped. */
  reason?: string;
  ms: number;
}

export interface TuningInfo {
  /** measured: tuned during this load; reused: a stored decision; none: not tuned. */
  source: 'measured' | 'reused';
  key: string;
  winner: string;
  /** Why the winner won, in words. */
  why: string;
  /** What the score is: latency at batch 1 (streaming) or throughput at the batch the scheduler forms. */
  objective: string;
  candidates: TuneCandidateReport[];
  budgetMs: number;
  elapsedMs: number;
  measuredAt: string;
  /** A plain-text table of the candidates, for panels and logs. */
  table: string;
  /** Set when observed latency drifted far from the tuned figure; the stored decision was dropped. */
  stale?: boolean;
}
