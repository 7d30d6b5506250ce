/**
 * The cache's locks. Every tab and worker of an origin shares one database,
 * so changes take Web Locks that every reader takes too:
 * - a database lock, held 'shared' by every load and deletion of one URL and
 *   'exclusive' by `clear()`;
 * - a lock per URL, held 'exclusive' by the load that may download it (one
 *   tab downloads while the others wait, then read the cache) and by
 *   `delete(url)`.
 * Locks are always taken database first, then URLs in sorted order, so two
 * callers never wait for each other in a circle. Waiting has a deadline
 * (`cache.lockTimeoutMs`) ending in a TimeoutError; a held lock is released
 * by the browser when its tab closes or crashes.
 */
import { TimeoutError, toAbortError } from '../errors/index.js';

export interface LockRequest {
  name: string;
  mode: LockMode;
}

export const databaseLock = (dbName: string, mode: LockMode): LockRequest => ({ name: `pageinfer-cache:${dbName}`, mode });
export const urlLock = (dbName: string, url: string): LockRequest => ({ name: `pageinfer-cache:${dbName}:${url}`, mode: 'exclusive' });

/**
 * Runs `fn` holding every lock of `requests`, taken in the order given.
 * Rejects with an AbortError when `signal` aborts while waiting, and with a
 * TimeoutError (`details.lock`, `details.waitedMs`) when all of them could not
 * be had within `timeoutMs`.
 */
export async function withLocks<T>(requests: readonly LockRequest[], signal: AbortSignal, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  if (signal.aborted) throw toAbortError(signal.reason);
  const started = performance.now();
  const waiting = new AbortController();
  let waitingFor = requests[0]?.name ?? '';
  const onAbort = () => waiting.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = Number.isFinite(timeoutMs)
    ? setTimeout(() => {
        const waitedMs = Math.round(performance.now() - started);
        waiting.abort(
          new TimeoutError(
            `Waited ${waitedMs} ms for the model cache's lock '${waitingFor}': another tab or engine is still loading or deleting this model. ` +
              `Raise cache.lockTimeoutMs for very large models on slow links.`,
            { lock: waitingFor, waitedMs },
          ),
        );
      }, timeoutMs)
    : undefined;
  const take = (i: number): Promise<T> => {
    if (i === requests.length) {
      clearTimeout(timer); // every lock is held: the deadline was for waiting only
      signal.removeEventListener('abort', onAbort);
      return fn();
    }
    waitingFor = requests[i].name;
    return acquire(requests[i], waiting.signal, () => take(i + 1));
  };
  try {
    return await take(0);
  } catch (e) {
    if (waiting.signal.aborted && e === waiting.signal.reason) {
      throw e instanceof TimeoutError ? e : toAbortError(signal.reason);
    }
    if (signal.aborted) throw toAbortError(signal.reason);
    throw e;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

function acquire<T>(request: LockRequest, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (locks?.request) return locks.request(request.name, { mode: request.mode, signal }, fn) as Promise<T>;
  return localLocks.request(request, signal, fn);
}

/**
 * Without `navigator.locks` (Node, old browsers) only this realm's callers
 * take turns: a small reader-writer queue per name, first come first served.
 */
class LocalLocks {
  private readonly queues = new Map<string, { mode: LockMode; grant: () => void; held: boolean }[]>();

  async request<T>(request: LockRequest, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const queue = this.queues.get(request.name) ?? [];
    this.queues.set(request.name, queue);
    let grant!: () => void;
    const granted = new Promise<void>((resolve) => (grant = resolve));
    const me = { mode: request.mode, grant, held: false };
    queue.push(me);
    this.pump(request.name);
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        if (me.held) return resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        void granted.then(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
      return await fn();
    } finally {
      queue.splice(queue.indexOf(me), 1);
      if (queue.length === 0) this.queues.delete(request.name);
      else this.pump(request.name);
    }
  }

  /** Grants from the head of the queue: one exclusive holder, or a run of shared ones. */
  private pump(name: string): void {
    const queue = this.queues.get(name) ?? [];
    for (const [i, w] of queue.entries()) {
      const grantable = w.mode === 'shared' ? queue.slice(0, i).every((x) => x.mode === 'shared') : i === 0;
      if (!grantable) break;
      if (!w.held) {
        w.held = true;
        w.grant();
      }
    }
  }
}

const localLocks = new LocalLocks();
