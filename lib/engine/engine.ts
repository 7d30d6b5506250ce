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
import type { EngineMemory, EngineOptions, EngineStats, LoadOptions, LoadProgress, ModelInfo, VariantSource, WarningDetail } from './types.js';
import { threadsOn, type BackendName } from '../backend/types.js';
import { WarmWorker, type WarmKey } from '../pool/warm.js';
import type { SourceBytes } from '../source/read.js';
import { LoadClock } from './timeline.js';

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
  /** Workers with ORT started by prewarm(), for the first loads they fit. */
  private readonly spares: WarmWorker[] = [];
  /** The IndexedDB model cache of URL sources: `list()`, `has()`, `delete()`, `clear()`, `usage()`. */
  readonly cache: ModelCache;

  constructor(readonly options: EngineOptions = {}) {
    super();
    this.cache = new ModelCache(options.cache, (detail) => void this.warn(detail));
    if (options.prewarm?.length) this.prewarm(options.prewarm).catch(() => {}); // a load starts its own when this could not
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
    const { signal } = options;
    const clock = new LoadClock();
    const onProgress = (p: LoadProgress) => {
      clock.progress(p);
      options.onProgress?.(p);
    };
    // Probed while the bytes download (the parallelism probe spins workers for about 0.1 s on some devices).
    const probing = this.capabilities();
    const planning = probing.then((caps) => this.planLoad(caps, options));
    planning.catch(() => {}); // awaited below; a load that fails first must not leave it unhandled
    // Overlap (issue 19): the worker that builds the first session starts ORT while the bytes are read.
    const warming = planning.then((p) => this.warmWorkerFor(p, options)).catch(() => undefined);
    let warm: WarmWorker | undefined;
    try {
      // A cached copy is announced once read, while its chunks' digests still run (issue 19, item 3): the
      // session is built on it meanwhile, and the model is handed out only once the read is verified.
      let announce!: (read: SourceBytes) => void;
      const unverified = new Promise<SourceBytes>((resolve) => (announce = resolve));
      let inHandMs = NaN;
      const reading = readSource(src, {
        signal,
        onProgress,
        fetchInit: options.fetchInit,
        cache: this.cache,
        policy: options.cache,
        integrity: options.integrity,
        onUnverified: (read) => announce(read),
      }).then((read) => ((inHandMs = clock.now()), read));
      reading.catch(() => {}); // settled below
      const first = await Promise.race([reading, unverified]);
      warm = await warming;
      const planned = await planning;
      // Nothing of a build on unverified bytes may reach the caller before they are verified: not its
      // warnings, not its model; and when they turn out bad, the build is stopped at once.
      const stop = new AbortController();
      const held = new HeldWarnings((d) => this.warn(d));
      const opts = { ...options, onProgress, signal: signal ? AbortSignal.any([signal, stop.signal]) : stop.signal };
      const building = this.build(src, first, planned, warm, clock, opts, held);
      building.catch(() => {}); // settled below
      /** Stops the build on the unverified bytes, drops its warnings, and disposes whatever it made. */
      const abandon = async (reason: unknown) => {
        stop.abort(reason);
        held.drop();
        await building.then((m) => m.dispose(), () => {});
      };
      const read = await reading.catch(async (error: unknown) => {
        await abandon(error);
        throw error;
      });
      let model: Model;
      if (read.bytes !== first.bytes) {
        // The cached copy failed verification (CACHE_CORRUPT) and was fetched again: whatever was built on it goes.
        await abandon(new Error('the cached copy failed verification'));
        clock.discardSession('built on a cached copy that failed verification');
        const fresh = new HeldWarnings((d) => this.warn(d));
        fresh.release();
        model = await this.build(src, read, planned, undefined, clock, { ...options, onProgress }, fresh);
      } else {
        held.release();
        model = await building;
      }
      clock.addBytes(inHandMs, read.from.memory > 0);
      model.info.timings.downloadMs = inHandMs;
      model.info.timings.timeline = clock.timeline();
      return model;
    } finally {
      warm?.dispose(); // unless the first session took it
      if (!warm) void warming.then((w) => w?.dispose());
    }
  }

  /**
   * Starts ORT in a worker for `backends` (default ['wasm']) now, before any model is known: the next
   * load whose first session fits it (backend, threads) builds it there. Resolves once ORT is ready
   * (to false where it could not start; the load then starts its own).
   */
  async prewarm(backends: BackendName[] = ['wasm']): Promise<boolean> {
    this.assertAlive();
    const caps = await this.capabilities();
    const started = backends.map((backend) => {
      const planned = this.planLoad(caps, { backend, fallback: false });
      const key = this.warmKey(backend, planned.threads);
      const known = this.spares.find((w) => w.fits(key));
      if (known) return known.ready;
      const spare = new WarmWorker(key, this.options.sessionTimeoutMs ?? defaultSessionTimeoutMs);
      this.spares.push(spare);
      return spare.ready;
    });
    return (await Promise.all(started)).every((marks) => marks !== null);
  }

  private planLoad(caps: Capabilities, options: LoadOptions) {
    const preference = options.backend ?? this.options.backends ?? 'auto';
    const plan = planBackends(caps, preference, options.fallback ?? true);
    const size = sizePool(caps.parallelism.cores, this.options.wasm?.threads ?? 'auto', options.schedule?.workers ?? 'auto');
    const threadChoice = resolveThreads(size.threads, caps);
    return { caps, preference, plan, size, threadChoice, threads: threadChoice.threads };
  }

  private warmKey(backend: BackendName, threads: number): WarmKey {
    return { backend, threads: threadsOn(backend, threads), wasmPaths: this.options.wasm?.wasmPaths, createWorker: this.options.createWorker };
  }

  /** A worker starting ORT for the planned first backend: a spare from prewarm() when one fits, else a new one. None when tuning (it measures in fresh workers). */
  private warmWorkerFor(planned: ReturnType<Engine['planLoad']>, options: LoadOptions): WarmWorker | undefined {
    const backend = planned.plan.order[0];
    if (!backend || options.tune === true || typeof options.tune === 'object' || this.disposed) return undefined;
    const key = this.warmKey(backend, planned.threads);
    const spare = this.spares.findIndex((w) => w.fits(key));
    if (spare >= 0) return this.spares.splice(spare, 1)[0];
    return new WarmWorker(key, this.options.sessionTimeoutMs ?? defaultSessionTimeoutMs);
  }

  private async build(
    src: ModelSource,
    read: SourceBytes,
    planned: ReturnType<Engine['planLoad']>,
    warm: WarmWorker | undefined,
    clock: LoadClock,
    options: LoadOptions,
    held: HeldWarnings,
  ): Promise<Model> {
    const { signal, onProgress } = options;
    const { bytes } = read;
    const downloadMs = clock.now(); // until the load's verified bytes are in hand (see load)
    const { caps, preference, plan, size, threadChoice } = planned;
    const schedule = options.schedule ?? {};
    const warnings: string[] = [];
    const warn = (code: WarningDetail['code'], message: string) => warnings.push(held.warn({ code, message }));
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
      warm,
      sha256: read.sha256,
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
        info.threads = threadsOn(backend, info.threads);
        warn('BACKEND_FALLBACK', message);
      },
    }, plan.order.slice(plan.order.indexOf(opened.config.backend) + 1));
    pool.adopt(opened.extra);
    const growFrom = clock.now();
    try {
      await pool.grow(opened.workers ?? size.workers, signal);
      if (pool.size > 1) clock.add('pool', growFrom, clock.now(), `${pool.size - 1} more worker${pool.size > 2 ? 's' : ''}`);
    } catch (error) {
      await pool.dispose();
      throw signal?.aborted ? toAbortError(signal.reason) : error;
    }
    clock.addWorker(opened.replica.started, handle.marks, opened.replica.started.prepared);
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
      origin: { from: read.from.network ? 'network' : read.from.cache ? 'cache' : 'memory', bytes: read.from },
      timings: {
        downloadMs,
        createMs: handle.createMs,
        wasmShared: handle.wasmReused,
        wasmNote: handle.wasmNote,
        prepared: opened.replica.started.prepared,
        timeline: clock.timeline(),
      },
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
    const model = new Model(scheduler, pool, recorder, info, (m) => this.models.delete(m), clock);
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
    for (const spare of this.spares.splice(0)) spare.dispose();
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

/**
 * Warnings of a build on bytes still being verified: held until the bytes are verified (then emitted),
 * or dropped with the build when they are not. Once released, warnings pass straight through.
 */
class HeldWarnings {
  private held: WarningDetail[] | null = [];
  private dropped = false;

  constructor(private readonly emit: (detail: WarningDetail) => string) {}

  warn(detail: WarningDetail): string {
    if (this.dropped) return detail.message;
    if (this.held) return this.held.push(detail), detail.message;
    return this.emit(detail);
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const detail of held) this.emit(detail);
  }

  drop(): void {
    this.dropped = true;
    this.held = null;
  }
}

/** Creates an engine; cheap, as workers start only when needed. */
export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
