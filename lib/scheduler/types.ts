import type { RecycleOptions } from '../pool/pool.js';

export type ScheduleMode = 'streaming' | 'batch' | 'hybrid';

export interface ScheduleOptions {
  /**
   * streaming (default): each run() starts as soon as a worker is free.
   * batch: run() as streaming; runBatch() coalesces its inputs into chunks of maxBatch rows.
   * hybrid: concurrent run() calls are coalesced along the batch dim (dynamic micro-batching).
   */
  mode?: ScheduleMode;
  /** Most rows in one coalesced batch (default 32). */
  maxBatch?: number;
  /** Longest a request waits for others to join its batch (hybrid; default 4 ms). */
  maxDelayMs?: number;
  /** Pick maxBatch and maxDelayMs from this device's measured latency curve to keep p95 under this. */
  targetP95Ms?: number;
  /** Most requests waiting (default unbounded). */
  queueLimit?: number;
  /** When the queue is full: reject with QueueFullError (default) or wait for space. */
  queuePolicy?: 'reject' | 'wait';
  /** Workers, each with its own session. 'auto' (default): cores / wasm threads, so threads × workers ≤ cores. */
  workers?: 'auto' | number;
  /** Pad coalesced batches up to the next of these sizes (fixed shapes for static backends / graph capture). */
  buckets?: number[];
  /**
   * Refuse to coalesce models whose per-row results depend on the batch
   * (DynamicQuantizeLinear picks one scale per batch). Default true.
   */
  exact?: boolean;
  /**
   * Jobs in flight per worker (default 2). With 2, a full batch or a single
   * request is queued in a busy worker so it starts the moment the current job
   * ends, instead of after a round trip to the page; a later higher-priority
   * request cannot overtake a job already queued there. 1: strict priority.
   */
  pipeline?: number;
  /** Retries of a request whose worker crashed (default 1). */
  retries?: number;
  recycle?: RecycleOptions;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Higher runs first (default 0); equal priorities run in arrival order. */
  priority?: number;
  /** Move input buffers to the worker (default true). Requests whose inputs moved cannot be retried after a crash. */
  transfer?: boolean;
}

export interface ScheduleInfo {
  mode: ScheduleMode;
  maxBatch: number;
  maxDelayMs: number;
  workers: number;
  /** Jobs in flight per worker. */
  pipeline: number;
  /**
   * How runs reach the workers: 'shared' — a SharedArrayBuffer per worker with Atomics wake-ups (requests
   * too big for it still go by message), or 'message' (a page that is not cross-origin isolated, a
   * browser without Atomics.waitAsync, or `runChannel: false`).
   */
  runChannel: 'shared' | 'message';
  batchable: boolean;
  /** Why requests can (or cannot) be coalesced. */
  reason: string;
  /** How maxBatch/maxDelayMs were chosen when targetP95Ms is set. */
  adaptive?: string;
}
