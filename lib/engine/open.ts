import type { BackendPlan } from '../backend/choose.js';
import { threadsOn, type BackendName } from '../backend/types.js';
import { AbortError, BackendUnavailableError, InvalidModelError, ModelLoadError, OutOfMemoryError, PageInferError, UnsupportedModelError, reviveError, serializeError } from '../errors/index.js';
import { Replica, type SessionConfig } from '../pool/replica.js';
import type { WarmWorker } from '../pool/warm.js';
import type { Attempt, ProgressCallback } from './types.js';

export interface Opened {
  replica: Replica;
  config: SessionConfig;
  attempts: Attempt[];
  tried: Set<BackendName>;
  reason: string;
}

/**
 * Tries the planned backends in order, each in a fresh worker, until one
 * builds a session. A multi-threaded attempt that fails or hangs is retried
 * with one thread. Bad bytes and aborts end the search at once.
 */
export async function openFirstReplica(
  bytes: Uint8Array,
  plan: BackendPlan,
  threads: number,
  base: Omit<SessionConfig, 'backend' | 'threads'>,
  options: { signal?: AbortSignal; onProgress?: ProgressCallback; onThreadsReduced(message: string): void; warm?: WarmWorker },
): Promise<Opened> {
  if (plan.order.length === 0) throw new BackendUnavailableError(plan.reason, { candidates: plan.candidates });
  const attempts: Attempt[] = [];
  const tried = new Set<BackendName>();
  for (const backend of plan.order) {
    tried.add(backend);
    const threadSteps = [...new Set([threadsOn(backend, threads), 1])];
    for (const t of threadSteps) {
      const started = performance.now();
      const config: SessionConfig = { ...base, backend, threads: t };
      options.onProgress?.({ phase: 'compile', loaded: 0, total: bytes.byteLength, backend });
      try {
        const replica = await Replica.open(bytes, config, options.signal, options.warm);
        attempts.push({ backend, threads: t, ok: true, ms: performance.now() - started });
        options.onProgress?.({ phase: 'compile', loaded: bytes.byteLength, total: bytes.byteLength, backend });
        return { replica, config, attempts, tried, reason: explain(plan.reason, backend, attempts) };
      } catch (thrown) {
        const error = asPageInferError(thrown);
        attempts.push({ backend, threads: t, ok: false, ms: performance.now() - started, error: { code: error.code, message: error.message } });
        if (error instanceof AbortError || error instanceof InvalidModelError) throw error;
        if (error instanceof UnsupportedModelError || t === 1) break;
        options.onThreadsReduced(`${backend} with ${t} threads failed (${error.message}); retrying with 1 thread`);
      }
    }
  }
  const summary = attempts.map((a) => `${a.backend}×${a.threads}: ${a.error?.message}`).join('; ');
  // Out of memory on the last backend tried: what the user must act on (a smaller model, fewer live ones).
  const last = attempts.at(-1);
  if (last?.error?.code === OutOfMemoryError.code) {
    throw new OutOfMemoryError(`No backend could build this model without running out of memory (${summary})`, { stage: 'load', candidates: plan.candidates, attempts });
  }
  throw new ModelLoadError(`No backend could run this model (${summary})`, {
    candidates: plan.candidates,
    attempts,
  });
}

function explain(planReason: string, chosen: BackendName, attempts: Attempt[]): string {
  const failed = attempts.filter((a) => !a.ok);
  if (failed.length === 0) return planReason;
  const failures = failed.map((a) => `${a.backend} (${a.threads} thread${a.threads > 1 ? 's' : ''}) failed: ${a.error?.message}`).join('; ');
  // The plan's reason stays: it says why backends that were asked for were never tried.
  return `${chosen} after ${failures}; ${planReason}`;
}

export function asPageInferError(e: unknown): PageInferError {
  return e instanceof PageInferError ? e : reviveError(serializeError(e));
}
