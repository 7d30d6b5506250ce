/**
 * Types shared by the bench runner (Node) and the bench page (browser): the
 * data manifest, the tasks the runner asks the page for, and what they return.
 * Pure types, no code.
 */

export type ModelKey = 'mlp' | 'mnist' | 'ppocr';
/** tfjs-*: TF.js running the MNIST CNN's float weights (only that model and precision); see pages/tfjs-peer.ts. */
/**
 * pageinfer runs with its defaults (the shared run channel where the page is cross-origin isolated);
 * pageinfer-message with every run by postMessage (runChannel: false); pageinfer-spin with its worker
 * polling 0.5 ms for the next request after a run (runChannel: { spinMs: 0.5 }).
 */
export type PeerName = 'pageinfer' | 'pageinfer-message' | 'pageinfer-spin' | 'ort-main' | 'ort-proxy' | 'tfjs-wasm' | 'tfjs-webgl';
export const pageinferPeers = ['pageinfer', 'pageinfer-message', 'pageinfer-spin'] as const;
export type Backend = 'wasm' | 'webgpu' | 'webgl';

/** A float32 little-endian binary served by Vite, and its dims. */
export interface DataRef {
  url: string;
  dims: number[];
}

export interface VariantInfo {
  key: string;
  precision: 'f32' | 'int8';
  /** Human-readable: 'f32', 'QDQ', 'dynamic (MatMulInteger)', 'QOperator (QLinearConv)'… */
  format: string;
  /** Where the bytes came from (a built model, a fixture, or quantized here). */
  source: string;
  url: string;
  path: string;
  bytes: number;
  sha256: string;
  ops: Record<string, number>;
}

export interface ModelManifest {
  key: ModelKey;
  label: string;
  input: string;
  output: string;
  /** Symbolic batch dim name (for WebGL's static shapes), if the model has one. */
  batchDim: string | null;
  /** Dims of one sample without the batch dim. */
  rowDims: number[];
  samples: { url: string; count: number; rowSize: number; labels: Array<string | number> };
  variants: Record<string, VariantInfo>;
  /** Reference outputs computed in Node (onnxruntime-web wasm, 1 thread), per variant: `b<N>` = the first N samples as one batch; `single` = each sample alone. */
  refs: Record<string, { batches: Record<string, DataRef>; single?: DataRef }>;
  /** A result is right when max|out - ref| ≤ atol + rtol·max|ref|. */
  tolerance: { wasm: Tolerance; gpu: Tolerance };
  /** How the Node reference itself was checked against an independent one. */
  referenceChecks: string[];
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface Manifest {
  createdAt: string;
  ortVersion: string;
  models: Partial<Record<ModelKey, ModelManifest>>;
}

/** Correctness of a set of results against the reference. */
export interface Check {
  results: number;
  wrong: number;
  /** Worst max-abs difference seen, and the tolerance it was held to. */
  maxAbs: number;
  limit: number;
  /** Share of output vectors whose argmax equals the reference's (class / CTC frame agreement). */
  argmaxAgree: number;
}

export interface LatencySummary {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

// ---- tasks ---------------------------------------------------------------

export interface PeersTask {
  model: ModelKey;
  /** Measured one after the other in the same page (ORT's wasm is compiled once per page; pageinfer starts a worker per model). */
  variants: string[];
  batches: number[];
  peers: PeerName[];
  threads: number;
  rounds: number;
  minIters: number;
  maxIters: number;
  /** Time budget per batch size, split between every (variant, peer) and rounds. */
  budgetMs: number;
}

/** f32 p50 / int8 p50 of one peer, per round (both measured in the same round), then the median. */
export interface PrecisionRatio {
  model: ModelKey;
  variant: string;
  batch: number;
  peer: PeerName;
  perRound: number[];
  median: number;
}

export interface PeersOutput {
  results: PeersResult[];
  precision: PrecisionRatio[];
}

export interface PeerLoad {
  peer: PeerName;
  /** Position in this variant's load order (the order rotates from variant to variant). */
  order: number;
  /** fetch + session creation (+ worker start for pageinfer / proxy). */
  loadMs: number;
  /** The first inference (batch 1) after load. */
  firstRunMs: number;
  error?: string;
  /** pageinfer only: model.info essentials. */
  info?: { backend: string; threads: number; workers: number; reason: string; createMs: number };
  /** TF.js peers: the backend TF.js reports, and its version. */
  note?: string;
}

export interface PeerBatchResult {
  batch: number;
  itersPerRound: number;
  /** Raw per-call latencies (ms), per peer, in run order; round boundaries every itersPerRound. */
  samples: Partial<Record<PeerName, number[]>>;
  summary: Partial<Record<PeerName, LatencySummary>>;
  /** Rows per second at this batch (batch / p50). */
  throughput: Partial<Record<PeerName, number>>;
  check: Partial<Record<PeerName, Check>>;
  /** pageinfer (any of pageinferPeers) / peer p50, per round, then the median of those; keyed `pageinfer…/peer`. */
  ratios: Record<string, { perRound: number[]; median: number }>;
  /** pageinfer's own split (model.stats()) over the timed runs. */
  pageinferStats?: PageinferSplit;
  /** The same split for pageinfer-message and pageinfer-spin. */
  pageinferStatsByPeer?: Partial<Record<PeerName, PageinferSplit>>;
}

export interface PageinferSplit {
  queueMs: number;
  transferInMs: number;
  computeMs: number;
  transferOutMs: number;
  totalMs: number;
}

export interface PeersResult {
  model: ModelKey;
  variant: string;
  threads: number;
  loads: PeerLoad[];
  batches: PeerBatchResult[];
  errors: string[];
}

export interface ConcurrencyConfig {
  name: string;
  mode: 'streaming' | 'hybrid';
  workers: number;
  /** Await each request before sending the next (the "sequential" baseline). */
  sequential: boolean;
  /** Not pageinfer: the same burst batched by hand over raw ORT workers (the machine's ceiling). */
  raw?: boolean;
}

export interface ConcurrencyTask {
  model: ModelKey;
  variant: string;
  requests: number;
  rounds: number;
  maxBatch: number;
  maxDelayMs: number;
  configs: ConcurrencyConfig[];
  budgetMs: number;
  /** Warm-up bursts run at least this long before timing. */
  warmupMs: number;
  /** Bursts of each config in a round, interleaved config by config; the round's sample of a config is their sum. */
  cycles: number;
}

export interface ConcurrencyRun {
  config: string;
  /** Wall time of the sample's bursts, each from first submit to last result. */
  wallMs: number;
  /** Bursts of `requests` in the sample. */
  bursts?: number;
  throughput: number;
  latencies: number[];
  meanBatchSize: number;
  computeP50: number;
}

export interface ConcurrencyResult {
  model: ModelKey;
  variant: string;
  requests: number;
  maxBatch: number;
  maxDelayMs: number;
  configs: Array<ConcurrencyConfig & { schedule?: unknown; loadMs?: number; error?: string }>;
  runs: ConcurrencyRun[];
  summary: Record<string, { throughput: number; p50: number; p95: number; meanBatchSize: number; computeP50: number; check: Check }>;
  /** Per round, throughput of config / throughput of 'sequential' (and 2 workers / 1 worker), then medians. */
  ratios: Record<string, { perRound: number[]; median: number }>;
  errors: string[];
}

export interface SustainedTask {
  model: ModelKey;
  variant: string;
  batch: number;
  threads: number;
  peers: PeerName[];
  slotMs: number;
  rounds: number;
}

export interface SustainedSlot {
  who: PeerName | 'idle';
  round: number;
  durationMs: number;
  inferences: number;
  frames: number;
  droppedFrames: number;
  /** Longest gap between animation frames. */
  maxFrameGapMs: number;
  /** PerformanceObserver 'longtask' entries (null where the browser has no such entry type). */
  longTasks: number | null;
  longTaskMs: number | null;
  /** Main-thread stalls seen by a 10 ms heartbeat: gaps over 50 ms (works in every browser). */
  stalls: number;
  stallMs: number;
}

export interface SustainedResult {
  model: ModelKey;
  variant: string;
  batch: number;
  frameIntervalMs: number;
  longTaskSupported: boolean;
  slots: SustainedSlot[];
  check: Partial<Record<PeerName, Check>>;
  errors: string[];
}

export interface MemoryTask {
  model: ModelKey;
  variant: string;
  batch: number;
  threads: number;
  peer: PeerName | 'baseline';
  runs: number;
}

export interface MemoryResult {
  model: ModelKey;
  variant: string;
  peer: PeerName | 'baseline';
  /** performance.measureUserAgentSpecificMemory(): page + its workers, bytes (null where unsupported). */
  uaBytes: number | null;
  breakdown: Record<string, number>;
  /** performance.memory.usedJSHeapSize (Chromium, main thread only). */
  jsHeapBytes: number | null;
  api: string;
  error?: string;
}

export interface CacheTask {
  url: string;
  model: ModelKey;
  variant: string;
  threads: number;
  phase: 'cold' | 'warm';
}

export interface CacheResult {
  phase: 'cold' | 'warm';
  /** engine.load() start to the first result in hand. */
  firstResultMs: number;
  loadMs: number;
  downloadMs: number;
  createMs: number;
  runMs: number;
  progressPhases: string[];
  correct: boolean;
  cacheEntries: number;
  /** The engine's warning events (e.g. CACHE_UNAVAILABLE). */
  warnings: string[];
  /** model.info.timings.timeline after the first run (ms from engine.load), and where the bytes came from. */
  timeline?: Array<{ step: string; start: number; end: number; detail?: string }>;
  origin?: { from: string; bytes: Record<string, number> };
  /**
   * Warm only, measured in the same page right after: the issue 19 floor of a warm first result. readMs: the
   * bytes through `engine.cache.fetch` (IndexedDB read + verify); memoryLoadMs + memoryRunMs: `engine.load` of
   * the same bytes already in memory (worker, ORT, session) and its first run.
   */
  floor?: { readMs: number; memoryLoadMs: number; memoryRunMs: number };
  error?: string;
}

export interface BackendsTask {
  model: ModelKey;
  variant: string;
  backend: Backend;
  batch: number;
  iters: number;
  budgetMs: number;
  threads: number;
}

export interface BackendsResult {
  model: ModelKey;
  variant: string;
  requested: Backend;
  /** The backend pageinfer really ran (fallback disabled: the requested one, or an error). */
  backend: string | null;
  batch: number;
  loadMs: number;
  samples: number[];
  summary: LatencySummary | null;
  check: Check | null;
  error?: { code: string; message: string };
  adapter?: string;
}

export interface PageInfo {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  sharedArrayBuffer: boolean;
  ortVersion: string;
  capabilities: unknown;
  /** The cores pageinfer sizes threads and workers by, and why (absent in results from before it measured them). */
  parallelism?: { cores: number; reported: number; measured: number | null; why: string };
  longTaskSupported: boolean;
  /** TF.js version when the optional TF.js peer is installed, else null. */
  tfjs: string | null;
  measureMemory: boolean;
  deviceMemory: number | null;
}

export interface TuneTask {
  model: ModelKey;
  variant: string;
  /** streaming: the tuner scores latency at batch 1; hybrid: throughput at maxBatch. */
  mode: 'streaming' | 'hybrid';
  maxBatch: number;
  /** The tuner's budget (tune.budgetMs). */
  budgetMs: number;
  /** Interleaved measurement rounds of every candidate, after tuning, within measureBudgetMs. */
  rounds: number;
  measureBudgetMs: number;
  /** The page's own wait before tuning, for its previous task's workers to go (the runner has already waited for a quiet CPU, e2e/bench/quiet.ts). */
  settleMs: number;
}

export interface TuneMeasured {
  label: string;
  backend: string;
  threads: number;
  workers: number;
  /** What the tuner said of it. */
  tunerStatus: string;
  tunerReason?: string;
  /** The tuner's time to build and verify it (ms), and whether ORT's wasm came compiled from an earlier worker. */
  tunerMs: number;
  /** The tuner's own figure per round (its report's `rounds`). */
  tunerRounds?: number[];
  wasmShared?: boolean;
  wasmNote?: string;
  /** Per round: p50 ms at batch 1 (latency) or rows/s at maxBatch (throughput). */
  perRound: number[];
  /** Median over rounds. */
  value: number;
  check: Check | null;
  loadMs?: number;
  error?: string;
}

export interface TuneResult {
  /** How long the runner waited for the machine to go quiet before the cell (e2e/bench/quiet.ts). */
  quiet?: { waitedMs: number; busyCores: number | null; quiet: boolean };
  model: ModelKey;
  variant: string;
  mode: 'streaming' | 'hybrid';
  objective: 'latency' | 'throughput';
  /** Threads pageinfer's auto setting gave the tuner on this page. */
  threads: number;
  winner: string | null;
  /** The tuner's own elapsed time, and the whole tuned load (download excluded: the bytes are in memory). */
  tuningMs: number;
  loadMs: number;
  table: string;
  measured: TuneMeasured[];
  /** Fastest correct configuration as measured here, and the winner measured the same way. */
  best: string | null;
  bestValue: number;
  winnerValue: number;
  /** How far the tuned choice is from the fastest correct one (1 = it is the fastest; 1.2 = 20 % slower). */
  gap: number;
  errors: string[];
}
