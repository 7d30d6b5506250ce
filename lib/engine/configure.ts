import { planBackends, type BackendPlan } from '../backend/choose.js';
import { allBackends } from '../backend/types.js';
import type { Capabilities } from '../probe/types.js';
import { Replica, type SessionConfig } from '../pool/replica.js';
import type { WarmWorker } from '../pool/warm.js';
import { listCandidates } from '../tune/candidates.js';
import { decisionKey, sha256Hex } from '../tune/fingerprint.js';
import { forgetDecision, loadDecision, saveDecision } from '../tune/store.js';
import { tune } from '../tune/tuner.js';
import type { TuneOptions, TuningInfo } from '../tune/types.js';
import { openFirstReplica, type Opened } from './open.js';
import type { LoadOptions, ProgressCallback } from './types.js';

export interface Configured extends Opened {
  /** More ready sessions of the same config (a tuned multi-worker winner). */
  extra: Replica[];
  /** Workers the config asks for, when tuning decided it. */
  workers?: number;
  tuning?: TuningInfo;
}

export interface ConfigureRequest {
  bytes: Uint8Array;
  caps: Capabilities;
  plan: BackendPlan;
  threads: number;
  base: Omit<SessionConfig, 'backend' | 'threads'>;
  options: LoadOptions;
  /** The engine's default: tune on the first load of a model on this device. */
  tuneFirstLoad: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  onThreadsReduced(message: string): void;
  /** A worker whose ORT was started while the bytes were read: the first session is built in it if it fits. */
  warm?: WarmWorker;
  /** SHA-256 (hex) of the bytes when reading them computed it (the cache's content address): not hashed again. */
  sha256?: string;
}

/**
 * Decides how the model runs: a stored tuning decision for this model and
 * device when there is one, a fresh measurement when tuning is asked for, else
 * the capability plan (backends in order, first that builds a session wins).
 */
export async function configureSessions(r: ConfigureRequest): Promise<Configured> {
  const { options } = r;
  const schedule = options.schedule ?? {};
  const batching = (schedule.mode ?? 'streaming') !== 'streaming';
  const scoreRows = batching ? Math.max(1, schedule.maxBatch ?? 32) : 1;
  const objective = batching ? 'throughput' : 'latency';
  const wantsTuning = options.tune === true || typeof options.tune === 'object' || (options.tune === undefined && r.tuneFirstLoad);
  // An explicit `tune` measures again; `tune: false` neither measures nor reuses.
  const mayReuse = options.tune === undefined;
  const canKey = typeof indexedDB !== 'undefined' && Boolean(globalThis.crypto?.subtle) && options.tune !== false;

  const key = canKey ? await decisionKey(r.sha256 ?? (await sha256Hex(r.bytes)), r.caps, `${objective}@${scoreRows}`) : null;
  if (key && mayReuse) {
    const stored = await loadDecision(key);
    const winner = stored?.candidates.find((c) => c.status === 'winner');
    if (stored && winner) {
      const config: SessionConfig = { ...r.base, backend: winner.backend, threads: winner.threads, graphOptimizationLevel: winner.graphOptimizationLevel, ortModuleUrl: winner.ortModuleUrl };
      try {
        const started = performance.now();
        r.onProgress?.({ phase: 'compile', loaded: 0, total: r.bytes.byteLength, backend: winner.backend });
        const replica = await Replica.open(r.bytes, config, r.signal, r.warm);
        r.onProgress?.({ phase: 'compile', loaded: r.bytes.byteLength, total: r.bytes.byteLength, backend: winner.backend });
        return {
          replica,
          config,
          extra: [],
          workers: schedule.workers === undefined || schedule.workers === 'auto' ? winner.workers : undefined,
          attempts: [{ backend: winner.backend, threads: winner.threads, ok: true, ms: performance.now() - started }],
          tried: new Set([winner.backend]),
          reason: `tuned on this device before (${stored.measuredAt}): ${stored.why}`,
          tuning: { ...stored, source: 'reused' },
        };
      } catch {
        await forgetDecision(key); // the device changed under the same key: measure again
      }
    }
  }

  if (wantsTuning) {
    const tuneOptions: TuneOptions = typeof options.tune === 'object' ? options.tune : {};
    const preference = options.backend ?? 'auto';
    const allowed = preference === 'auto' ? allBackends : planBackends(r.caps, preference, options.fallback ?? true).order;
    const fixedWorkers = typeof schedule.workers === 'number';
    const requested = preference === 'auto' ? [] : typeof preference === 'string' ? [preference] : [...preference];
    const candidates = listCandidates(r.caps, r.threads, batching && !fixedWorkers, tuneOptions, allowed, requested);
    r.onProgress?.({ phase: 'compile', loaded: 0, total: r.bytes.byteLength });
    const outcome = await tune({ bytes: r.bytes, candidates, base: r.base, options: tuneOptions, scoreRows, objective, signal: r.signal });
    r.onProgress?.({ phase: 'compile', loaded: r.bytes.byteLength, total: r.bytes.byteLength, backend: outcome.config.backend });
    const tuning: TuningInfo = { ...outcome.info, key: key ?? '', source: 'measured' };
    if (key) await saveDecision(tuning);
    const [replica, ...extra] = outcome.replicas;
    const winner = tuning.candidates.find((c) => c.status === 'winner')!;
    return {
      replica,
      config: outcome.config,
      extra,
      workers: fixedWorkers ? undefined : winner.workers,
      attempts: tuning.candidates.map((c) => ({ backend: c.backend, threads: c.threads, ok: c.status === 'winner' || c.status === 'ok', ms: c.ms, ...(c.reason ? { error: { code: c.status.toUpperCase(), message: c.reason } } : {}) })),
      tried: new Set(tuning.candidates.filter((c) => c.status !== 'skipped').map((c) => c.backend)),
      reason: `tuned: ${tuning.why}`,
      tuning,
    };
  }

  return { ...(await openFirstReplica(r.bytes, r.plan, r.threads, r.base, r)), extra: [] };
}
