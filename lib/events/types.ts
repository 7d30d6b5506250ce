/**
 * What loads report as they go (progress) and what the engine tells its listeners
 * (warnings): shared by the engine, the cache and the source readers below it.
 */
import type { BackendName } from '../backend/types.js';

/** download: bytes from the network; cache-read: bytes from IndexedDB; verify: hashing them; compile: building the session. */
export type ProgressPhase = 'download' | 'cache-read' | 'verify' | 'compile';

export interface LoadProgress {
  phase: ProgressPhase;
  loaded: number;
  total: number;
  backend?: BackendName;
}

export type ProgressCallback = (event: LoadProgress) => void;

export interface WarningDetail {
  code:
    | 'THREADS_UNAVAILABLE'
    | 'THREADS_REDUCED'
    /** ORT's wasm threads stalled starting in a worker (a rare browser/ORT hang): it was rebuilt in a fresh one. */
    | 'THREADS_STALLED'
    /** Both workers and threads were fixed by the caller, beyond the reported cores. */
    | 'THREADS_OVERSUBSCRIBED'
    /** A pool worker could not be built or rebuilt: the model runs on fewer workers. */
    | 'POOL_DEGRADED'
    /** Latency drifted far from the tuned figure: the tuning decision was dropped, the next load tunes again. */
    | 'TUNING_STALE'
    | 'BACKEND_FALLBACK'
    /** IndexedDB cannot be used (blocked, disabled, throwing): loads work, uncached. */
    | 'CACHE_UNAVAILABLE'
    /** Storage quota or the cache budget left no room: this model was loaded without being cached. */
    | 'CACHE_QUOTA'
    /** A cached entry failed verification (changed byte, missing chunk, bad metadata): it was evicted. */
    | 'CACHE_CORRUPT'
    /** `revalidate` could not reach the server: the cached copy was used. */
    | 'CACHE_STALE';
  message: string;
}
