import type { ThreadSetting } from '../backend/choose.js';

/** Above this, ORT's wasm kernels gain little and thread start-up costs more. */
export const maxAutoThreads = 8;

export interface PoolSize {
  threads: number;
  workers: number;
  /** Set when the user's numbers oversubscribe the reported cores. */
  note?: string;
}

/**
 * Splits the reported cores between workers and wasm threads so that
 * threads × workers ≤ cores, unless the user fixed both.
 */
export function sizePool(cores: number, threads: ThreadSetting, workers: 'auto' | number): PoolSize {
  const c = Math.max(1, Math.floor(cores));
  const cap = (n: number) => Math.min(maxAutoThreads, Math.max(1, Math.floor(n)));
  if (workers === 'auto' && threads === 'auto') return { threads: cap(c), workers: 1 };
  if (workers === 'auto') {
    const t = Math.max(1, Math.floor(threads as number));
    return { threads: t, workers: Math.max(1, Math.floor(c / t)) };
  }
  const w = Math.max(1, Math.floor(workers));
  if (threads === 'auto') return { threads: cap(c / w), workers: w };
  const t = Math.max(1, Math.floor(threads));
  return t * w > c ? { threads: t, workers: w, note: `${w} workers × ${t} threads oversubscribe the ${c} reported cores` } : { threads: t, workers: w };
}
