import type { BackendCandidate, BackendPreference, ThreadSetting } from '../backend/choose.js';
import type { BackendName } from '../backend/types.js';
import type { CacheOptions, CachePolicy } from '../cache/types.js';
import type { RequestOptions, ScheduleInfo, ScheduleOptions } from '../scheduler/types.js';
import type { ValueInfo } from '../tensor/types.js';
import type { ModelStats } from '../profile/stats.js';
import type { WorkerMemory } from '../protocol/index.js';
import type { TuneOptions, TuningInfo } from '../tune/types.js';
import type { WorkerFactory } from '../worker/spawn.js';
import type { RunChannelOptions } from '../pool/replica.js';
import type { ProgressCallback } from '../events/types.js';

export type { ProgressPhase, LoadProgress, ProgressCallback, WarningDetail } from '../events/types.js';

export interface EngineOptions {
  /** Which backends to consider, in preference order, or 'auto' (default). */
  backends?: BackendPreference;
  wasm?: {
    /** 'auto' (default): cores when cross-origin isolated, else 1 (with a warning event). */
    threads?: ThreadSetting;
    /** Where ORT's .wasm/.mjs files are served, if not next to onnxruntime-web's module. */
    wasmPaths?: string | Record<string, string>;
  };
  /**
   * Cores to size wasm threads × workers by. 'auto' (default): navigator.hardwareConcurrency, checked
   * (when it says more than 2) by a short probe of workers spinning side by side, since some browsers
   * report more cores than there are (WebKitGTK: 4 on 2). A number is trusted as it is (no probe).
   */
  cores?: 'auto' | number;
  /** Deadline for building one session; past it the worker is killed and the next attempt runs. Default 30 s. */
  sessionTimeoutMs?: number;
  /** Custom worker creation (CSP, self-hosting, tests). */
  createWorker?: WorkerFactory;
  /**
   * 'explicit' (default): tune only when a load asks (`tune: true`), and reuse
   * a stored decision. 'first-load': also tune the first load of each model on
   * this device (costs a few seconds once, within the budget).
   */
  tune?: 'explicit' | 'first-load';
  /** The IndexedDB model cache used for URL sources (on by default); `false` switches it off. */
  cache?: CacheOptions | false;
  /**
   * Start ORT for these backends at `createEngine`, before any model is known, in a worker the first
   * load then builds its session in (see `engine.prewarm`). Loads start ORT alongside their download anyway.
   */
  prewarm?: BackendName[];
  /**
   * Runs through a SharedArrayBuffer per worker with Atomics wake-ups (default, where the page is
   * cross-origin isolated and has Atomics.waitAsync), or `false`: always by postMessage.
   */
  runChannel?: RunChannelOptions | false;
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
  /**
   * Measure candidate configurations (backend × threads × workers) in fresh
   * workers, check their numerics against wasm, keep the fastest correct one
   * and remember it for this model and device. `false`: neither tune nor reuse.
   */
  tune?: boolean | TuneOptions;
  /** How requests reach the workers: streaming (default), batch or hybrid micro-batching, pool size, queue limits. */
  schedule?: ScheduleOptions;
  /** How the model cache is used for a URL source (default 'cache-first'). */
  cache?: CachePolicy;
  /** SRI metadata (`'sha256-<base64>'`) the model bytes must match, else an IntegrityError and nothing is cached. */
  integrity?: string;
}

/** Options of model.run / runBatch: signal, priority, transfer. */
export type RunOptions = RequestOptions;

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

export interface EngineStats {
  models: Array<{ source: string; backend: BackendName; stats: ModelStats & { pool: PoolStats } }>;
}

export interface EngineMemory {
  models: Array<{ source: string; workers: WorkerMemory[] }>;
  /** The browser's measurement of the whole page, workers included (detailed only); null when unavailable. */
  pageBytes: number | null;
}

export interface ModelInfo {
  /** The URL the model came from, or its size when given as bytes. */
  source: string;
  backend: BackendName;
  /** Why this backend runs the model, in words. */
  reason: string;
  candidates: CandidateReport[];
  attempts: Attempt[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  threads: number;
  /** Symbolic dims written into the model as values (WebGL, whose shapes are static): those of the first session. */
  fixedDims: Record<string, number>;
  /**
   * WebGL with free dims: how the model still runs any shape it is fed. 'session-per-shape': a session is
   * built for each new set of dim values (tens of ms for a small model) and the last `max` are kept.
   */
  staticShapes?: { strategy: 'session-per-shape'; max: number };
  ops: Record<string, number>;
  sizeBytes: number;
  /** Where the model's bytes came from, and how many from each place. */
  origin: ModelOrigin;
  timings: LoadTimings;
  schedule: ScheduleInfo;
  /** The autotuner's table and verdicts, when this load was tuned or reused a tuning decision. */
  tuning?: TuningInfo;
  /** Which variant serves and why, when the model was loaded from `{ variants }`. */
  variant?: VariantInfo;
  warnings: string[];
}

/**
 * Where a model's bytes came from. `from`: 'network' (downloaded, also when a resumed download took
 * its first part from the cache: see `bytes`), 'cache' (IndexedDB), 'memory' (bytes handed to `load`).
 */
export interface ModelOrigin {
  from: 'network' | 'cache' | 'memory';
  bytes: { network: number; cache: number; memory: number };
}

/**
 * A step of a load, as a waterfall draws it:
 * - request: from `load()` to the first byte in hand (cache lookup, lock, HTTP request and headers);
 * - bytes: first byte to last byte, from the network or an IndexedDB read (`detail` says which);
 * - verify: hashing the bytes (the cache's per-chunk SHA-256 on a read; the content address on a download);
 * - worker: the first session's worker created → its script loaded and listening;
 * - wasm: ORT's .wasm fetched and compiled (or taken compiled from an earlier worker), where the worker can watch it;
 * - ort-init: ORT imported and its runtime started (includes wasm);
 * - session: InferenceSession.create on the model's bytes;
 * - pool: the model's other workers built (`schedule.workers` > 1), each a session of its own;
 * - first-run: the first request, submitted → outputs back (added when it completes).
 */
export type LoadStep = 'request' | 'bytes' | 'verify' | 'worker' | 'wasm' | 'ort-init' | 'session' | 'pool' | 'first-run';

/** One step of a load: ms from the call to `engine.load`, start and end. Steps whose spans overlap ran at the same time. */
export interface LoadSpan {
  step: LoadStep;
  start: number;
  end: number;
  detail?: string;
}

export interface LoadTimings {
  /** From `load()` to the model's bytes in hand (and verified). */
  downloadMs: number;
  /** Building the first session in its worker (ORT's start included when it was not prepared ahead). */
  createMs: number;
  /** ORT's wasm came compiled from an earlier worker of this page. */
  wasmShared: boolean;
  wasmNote?: string;
  /** The first session was built in a worker whose ORT started while the bytes were read (or at `engine.prewarm()`). */
  prepared: boolean;
  /** The load's steps in order of start (see LoadStep); `first-run` is appended when the first run completes. */
  timeline: LoadSpan[];
}

export interface ModelProfile {
  at: string;
  info: ModelInfo;
  stats: ModelStats & { pool: PoolStats };
  memory: WorkerMemory[];
}

export interface PoolStats {
  workers: number;
  queued: number;
  respawns: number;
  recycles: number;
}

/** One model in several variants (`engine.load({ variants })`): the engine measures which one serves here. */
export interface VariantSource {
  /** Variant name → URL, e.g. `{ f32: '/m.onnx', int8: '/m.int8.onnx' }`. */
  variants: Record<string, string | URL>;
  /** The variant the others must agree with (default 'f32' when there is one, else the first). */
  reference?: string;
  /** Largest reference download made only to compare, when it is not in the cache (default 8 MiB; 0: never). */
  compareBudgetBytes?: number;
  /** Least cosine similarity of every float output to the reference's (default 0.99). */
  minCosine?: number;
}

export interface VariantMeasure {
  /** Median run time at batch 1 on this device, alternating with the other variants. */
  p50Ms: number;
  /** Least cosine similarity of its outputs to the reference's (1 for the reference; null when not compared). */
  cosine: number | null;
  /** Whether it may serve: it agrees with the reference, or there was no reference to compare with. */
  ok: boolean;
}

export interface VariantInfo {
  name: string;
  url: string;
  /** Why this one, in words (measured figures, what was not compared and why). */
  reason: string;
  /** True when a decision stored on this device was reused without measuring. */
  remembered: boolean;
  measured: Record<string, VariantMeasure>;
}
