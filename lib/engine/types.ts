import type { BackendCandidate, BackendPreference, ThreadSetting } from '../backend/choose.js';
import type { BackendName } from '../backend/types.js';
import type { ValueInfo } from '../tensor/types.js';
import type { WorkerFactory } from '../worker/host.js';

export type ProgressPhase = 'download' | 'compile';

export interface LoadProgress {
  phase: ProgressPhase;
  loaded: number;
  total: number;
  backend?: BackendName;
}

export type ProgressCallback = (event: LoadProgress) => void;

export interface EngineOptions {
  /** Which backends to consider, in preference order, or 'auto' (default). */
  backends?: BackendPreference;
  wasm?: {
    /** 'auto' (default): cores when cross-origin isolated, else 1 (with a warning event). */
    threads?: ThreadSetting;
    /** Where ORT's .wasm/.mjs files are served, if not next to onnxruntime-web's module. */
    wasmPaths?: string | Record<string, string>;
  };
  /** Deadline for building one session; past it the worker is killed and the next attempt runs. Default 30 s. */
  sessionTimeoutMs?: number;
  /** Custom worker creation (CSP, self-hosting, tests). */
  createWorker?: WorkerFactory;
}

export interface LoadOptions {
  /** Overrides the engine's `backends` for this model. */
  backend?: BackendPreference;
  /** When a single backend is named: try the others if it fails (default true). */
  fallback?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Values for symbolic dims (e.g. { batch: 1 }); WebGL needs them, as its shapes are static. */
  freeDimensionOverrides?: Record<string, number>;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  fetchInit?: RequestInit;
}

export interface RunOptions {
  signal?: AbortSignal;
  /**
   * Move input buffers to the worker instead of copying them (default true).
   * Transferred arrays are left empty (detached) in the caller.
   */
  transfer?: boolean;
}

export interface Attempt {
  backend: BackendName;
  threads: number;
  ok: boolean;
  ms: number;
  error?: { code: string; message: string };
}

export interface CandidateReport extends BackendCandidate {
  /** Whether a session was attempted on it during this load. */
  tried: boolean;
}

export interface ModelInfo {
  backend: BackendName;
  /** Why this backend runs the model, in words. */
  reason: string;
  candidates: CandidateReport[];
  attempts: Attempt[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  threads: number;
  fixedDims: Record<string, number>;
  ops: Record<string, number>;
  sizeBytes: number;
  timings: { downloadMs: number; createMs: number };
  warnings: string[];
}

export interface WarningDetail {
  code: 'THREADS_UNAVAILABLE' | 'THREADS_REDUCED' | 'BACKEND_FALLBACK';
  message: string;
}
