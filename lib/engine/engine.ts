import { planBackends, resolveThreads } from '../backend/choose.js';
import { DeviceLostError, DisposedError, WorkerCrashedError, toAbortError } from '../errors/index.js';
import { Pool } from '../pool/pool.js';
import { sizePool } from '../pool/size.js';
import { StatsRecorder } from '../profile/stats.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { parallelismOf, unmeasured } from '../pool/parallelism.js';
import type { Capabilities, ProbedCapabilities } from '../probe/types.js';
import { ModelCache } from '../cache/cache.js';
import { readSource, type ModelSource } from '../source/read.js';
import { WorkerHost } from '../worker/host.js';
import { Model } from './model.js';
import { driftWatcher } from '../tune/drift.js';
import { forgetDecision } from '../tune/store.js';
import { configureSessions } from './configure.js';
import { buildScheduler } from './schedule.js';
import { isVariantSource, loadVariant } from './variants.js';
import type { EngineMemory, EngineOptions, EngineStats, LoadOptions, ModelInfo, VariantSource, WarningDetail } from './types.js';

const defaultSessionTimeoutMs = 30_000;

/**
 * Owns the models of one page. Emits `warning` events (CustomEvent<WarningDetail>)
 * when it has to do less than asked, e.g. one wasm thread for lack of COOP/COEP.
 */
export class Engine extends EventTarget {
  private caps: Promise<Capabilities> | null = null;
  private readonly models = new Set<Model>();
  private disposed = false;
  private warned = new Set<string>();
  /** The IndexedDB model cache of URL sources: `list()`, `has()`, `delete()`, `clear()`, `usage()`. */
  readonly cache: ModelCache;

  constructor(readonly options: EngineOptions = {}) {
    super();
    this.cache = new ModelCache(options.cache, (detail) => void this.warn(detail));
  }

  /** What this device can do, probed once in a short-lived worker. */
  capabilities(): Promise<Capabilities> {
    this.assertAlive();
    this.caps ??= (async () => {
      const host = new WorkerHost(this.options.createWorker);
      let probed: ProbedCapabilities;
      try {
        probed = await host.call((api) => api.probe(), { what: 'capability probe', timeoutMs: 15_000 });
      } finally {
        host.terminate('probe done');
      }
      const fixed = this.options.cores;
      const parallelism =
        typeof fixed === 'number'
          ? unmeasured(probed.cores, `${fixed} cores, as the engine was told (${probed.cores} reported)`, Math.max(1, Math.floor(fixed)))
          : await parallelismOf(probed.cores, probed.wasm.threads, this.options.createWorker);
      return { ...probed, parallelism };
    })();
    this.caps.catch(() => (this.caps = null)); // a failed probe may be retried
    return this.caps;
  }

  /**
   * Loads a model from a URL, bytes or a Blob; or, given `{ variants: { f32: url, int8: url } }`, the variant
   * that measures fastest on this device among those that agree with the reference (see `model.info.variant`).
   */
  async load(src: ModelSource | VariantSource, options: LoadOptions = {}): Promise<Model> {
    this.assertAlive();
    if (isVariantSource(src)) return loadVariant(this, src, options);
    const { signal, onProgress } = options;
    const started = performance.now();
    // Probed while the bytes download (the parallelism probe spins workers for about 0.1 s on some devices).
    const probing = this.capabilities();
    probing.catch(() => {}); // awaited below; a load that fails first must not leave it unhandled
    const bytes = await readSource(src, {
      signal,
      onProgress,
      fetchInit: options.fetchInit,
      cache: this.cache,
      policy: options.cache,
      integrity: options.integrity,
    });
    const downloadMs = performance.now() - started;
    const caps = await probing;
    const preference = options.backend ?? this.options.backends ?? 'auto';
    const plan = planBackends(caps, preference, options.fallback ?? true);
    const schedule = options.schedule ?? {};
    const size = sizePool(caps.parallelism.cores, this.options.wasm?.threads ?? 'auto', schedule.workers ?? 'auto');
    const threadChoice = resolveThreads(size.threads, caps);
    const warnings: string[] = [];
    const warn = (code: WarningDetail['code'], message: string) => warnings.push(this.warn({ code, message }));
    if (threadChoice.warning) warn('THREADS_UNAVAILABLE', threadChoice.warning);
    if (size.note) warn('THREADS_OVERSUBSCRIBED', size.note);

    const opened = await configureSessions({
      bytes,
      caps,
      plan,
      threads: threadChoice.threads,
      base: {
        freeDimensionOverrides: options.freeDimensionOverrides,
        graphOptimizationLevel: options.graphOptimizationLevel,
        wasmPaths: this.options.wasm?.wasmPaths,
        timeoutMs: this.options.sessionTimeoutMs ?? defaultSessionTimeoutMs,
        createWorker: this.options.createWorker,
        runChannel: this.options.runChannel,
      },
      options,
      tuneFirstLoad: this.options.tune === 'first-load',
      signal,
      onProgress,
      onThreadsReduced: (message) => warn('THREADS_REDUCED', message),
    });
    // Never a silent fallback: the backend asked for first is not the one that runs.
    const wanted = preference === 'auto' ? null : typeof preference === 'string' ? preference : preference[0];
    if (!opened.tuning && (opened.attempts.length > 1 || (wanted && opened.config.backend !== wanted))) warn('BACKEND_FALLBACK', opened.reason);
    const handle = opened.replica.handle;

    let scheduler: Scheduler | null = null;
    let info!: ModelInfo; // filled in below; read by the pool's events, which come later
    const pool = new Pool(opened.replica, bytes, opened.config, schedule.recycle ?? {}, {
      onAvailable: () => scheduler?.onAvailable(),
      onEmpty: (reason, cause) => {
        const message = `Every worker of this model died and none could be rebuilt: ${reason}`;
        scheduler?.close(cause instanceof DeviceLostError ? new DeviceLostError(message, cause.details) : new WorkerCrashedError(message, { reason }));
      },
      onWarning: (message) => warn('POOL_DEGRADED', message),
      // Never a silent fallback: the model's info says which backend serves it now, and why.
      onBackendChanged: (backend, message) => {
        info.backend = backend;
        info.reason = message;
        info.threads = backend === 'webgl' ? 1 : info.threads;
        warn('BACKEND_FALLBACK', message);
      },
    }, plan.order.slice(plan.order.indexOf(opened.config.backend) + 1));
    pool.adopt(opened.extra);
    try {
      await pool.grow(opened.workers ?? size.workers, signal);
    } catch (error) {
      await pool.dispose();
      throw signal?.aborted ? toAbortError(signal.reason) : error;
    }
    const stalls = pool.replicas.flatMap((r) => r.startStalls);
    if (stalls.length) warn('THREADS_STALLED', `${stalls[0]}: ${stalls.length === 1 ? 'that worker was given up, and its session built in a fresh one' : `${stalls.length} such workers were given up, and their sessions built in fresh ones`}`);
    const recorder = new StatsRecorder();
    const built = buildScheduler(pool, handle, schedule, options.freeDimensionOverrides, recorder);
    scheduler = built.scheduler;
    info = {
      source: typeof src === 'string' || src instanceof URL ? String(src) : `${bytes.byteLength} bytes`,
      backend: opened.config.backend,
      reason: opened.reason,
      candidates: plan.candidates.map((c) => ({ ...c, tried: opened.tried.has(c.backend) })),
      attempts: opened.attempts,
      inputs: handle.inputs,
      outputs: handle.outputs,
      threads: handle.threads,
      fixedDims: handle.fixedDims,
      ...(handle.shapeSessions ? { staticShapes: { strategy: 'session-per-shape' as const, max: handle.shapeSessions } } : {}),
      ops: handle.ops,
      sizeBytes: bytes.byteLength,
      timings: { downloadMs, createMs: handle.createMs, wasmShared: handle.wasmReused, wasmNote: handle.wasmNote },
      schedule: { ...built.info, workers: pool.size, runChannel: pool.replicas[0]?.runsShared ? 'shared' : 'message' },
      tuning: opened.tuning,
      warnings,
    };
    if (schedule.targetP95Ms !== undefined) await built.tune(info.schedule);
    if (opened.tuning) {
      const tuning = opened.tuning;
      scheduler.jobObservers.push(
        driftWatcher(tuning, (message) => {
          tuning.stale = true;
          warn('TUNING_STALE', message);
          void forgetDecision(tuning.key);
        }),
      );
    }
    const model = new Model(scheduler, pool, recorder, info, (m) => this.models.delete(m));
    this.models.add(model);
    return model;
  }

  /** Stats of every loaded model (see Model.stats). */
  stats(): EngineStats {
    return { models: [...this.models].map((m) => ({ source: m.info.source, backend: m.info.backend, stats: m.stats() })) };
  }

  /**
   * Memory of every model's workers (wasm heap, JS heap). With `detailed`, also the
   * browser's whole-page measurement (measureUserAgentSpecificMemory: cross-origin
   * isolated pages only, and it can take seconds, as it waits for a garbage collection).
   */
  async memory({ detailed = false, timeoutMs = 30_000 } = {}): Promise<EngineMemory> {
    const models = await Promise.all([...this.models].map(async (m) => ({ source: m.info.source, workers: await m.memory() })));
    const measure = (performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
    let page: number | null = null;
    if (detailed && measure && globalThis.crossOriginIsolated) {
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs));
      page = (await Promise.race([measure.call(performance).then((r) => r.bytes), timeout])) ?? null;
    }
    return { models, pageBytes: page };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.models].map((m) => m.dispose()));
  }

  private warn(detail: WarningDetail): string {
    const key = `${detail.code}:${detail.message}`;
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.dispatchEvent(new CustomEvent<WarningDetail>('warning', { detail }));
    }
    return detail.message;
  }

  private assertAlive(): void {
    if (this.disposed) throw new DisposedError('This engine was disposed', {});
  }
}

/** Creates an engine; cheap, as workers start only when needed. */
export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
