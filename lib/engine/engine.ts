import * as Comlink from 'comlink';
import { planBackends, resolveThreads } from '../backend/choose.js';
import type { BackendName } from '../backend/types.js';
import {
  AbortError,
  DisposedError,
  InvalidModelError,
  ModelLoadError,
  PageInferError,
  UnsupportedModelError,
  serializeError,
  reviveError,
} from '../errors/index.js';
import type { Capabilities } from '../probe/types.js';
import type { SessionRequest } from '../protocol/index.js';
import { readSource, type ModelSource } from '../source/read.js';
import { WorkerHost } from '../worker/host.js';
import { Model } from './model.js';
import type { Attempt, EngineOptions, LoadOptions, ModelInfo, WarningDetail } from './types.js';

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

  constructor(readonly options: EngineOptions = {}) {
    super();
  }

  /** What this device can do, probed once in a short-lived worker. */
  capabilities(): Promise<Capabilities> {
    this.assertAlive();
    this.caps ??= (async () => {
      const host = new WorkerHost(this.options.createWorker);
      try {
        return await host.call((api) => api.probe(), { what: 'capability probe', timeoutMs: 15_000 });
      } finally {
        host.terminate('probe done');
      }
    })();
    this.caps.catch(() => (this.caps = null)); // a failed probe may be retried
    return this.caps;
  }

  async load(src: ModelSource, options: LoadOptions = {}): Promise<Model> {
    this.assertAlive();
    const { signal, onProgress } = options;
    const started = performance.now();
    const bytes = await readSource(src, { signal, onProgress, fetchInit: options.fetchInit });
    const downloadMs = performance.now() - started;
    const caps = await this.capabilities();
    const plan = planBackends(caps, options.backend ?? this.options.backends ?? 'auto', options.fallback ?? true);
    const threadChoice = resolveThreads(this.options.wasm?.threads ?? 'auto', caps);
    const warnings: string[] = [];
    if (threadChoice.warning) warnings.push(this.warn({ code: 'THREADS_UNAVAILABLE', message: threadChoice.warning }));

    const attempts: Attempt[] = [];
    const tried = new Set<BackendName>();
    for (const backend of plan.order) {
      tried.add(backend);
      const threadSteps = backend === 'webgl' ? [1] : [...new Set([threadChoice.threads, 1])];
      for (const threads of threadSteps) {
        const attemptStart = performance.now();
        const host = new WorkerHost(this.options.createWorker);
        onProgress?.({ phase: 'compile', loaded: 0, total: bytes.byteLength, backend });
        try {
          const copy = bytes.slice(); // keep ours for the next attempt
          const request: SessionRequest = {
            bytes: copy,
            backend,
            threads,
            freeDimensionOverrides: options.freeDimensionOverrides,
            graphOptimizationLevel: options.graphOptimizationLevel,
            wasmPaths: this.options.wasm?.wasmPaths,
          };
          const handle = await host.call((api) => api.createSession(Comlink.transfer(request, [copy.buffer])), {
            signal,
            timeoutMs: this.options.sessionTimeoutMs ?? defaultSessionTimeoutMs,
            what: `building a ${backend} session with ${threads} thread(s)`,
          });
          attempts.push({ backend, threads, ok: true, ms: performance.now() - attemptStart });
          onProgress?.({ phase: 'compile', loaded: bytes.byteLength, total: bytes.byteLength, backend });
          const info: ModelInfo = {
            backend,
            reason: explain(plan.reason, backend, attempts),
            candidates: plan.candidates.map((c) => ({ ...c, tried: tried.has(c.backend) })),
            attempts,
            inputs: handle.inputs,
            outputs: handle.outputs,
            threads: handle.threads,
            fixedDims: handle.fixedDims,
            ops: handle.ops,
            sizeBytes: bytes.byteLength,
            timings: { downloadMs, createMs: handle.createMs },
            warnings,
          };
          if (attempts.length > 1) warnings.push(this.warn({ code: 'BACKEND_FALLBACK', message: info.reason }));
          const model = new Model(host, handle, info, (m) => this.models.delete(m));
          this.models.add(model);
          return model;
        } catch (thrown) {
          host.terminate('session attempt failed'); // a failed backend must not poison the next attempt
          const error = asPageInferError(thrown);
          attempts.push({ backend, threads, ok: false, ms: performance.now() - attemptStart, error: { code: error.code, message: error.message } });
          if (error instanceof AbortError || error instanceof InvalidModelError) throw error;
          if (error instanceof UnsupportedModelError || threads === 1) break;
          warnings.push(this.warn({ code: 'THREADS_REDUCED', message: `${backend} with ${threads} threads failed (${error.message}); retrying with 1 thread` }));
        }
      }
    }
    const summary = attempts.map((a) => `${a.backend}×${a.threads}: ${a.error?.message}`).join('; ');
    throw new ModelLoadError(plan.order.length ? `No backend could run this model (${summary})` : plan.reason, {
      candidates: plan.candidates,
      attempts,
    });
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

function explain(planReason: string, chosen: BackendName, attempts: Attempt[]): string {
  const failed = attempts.filter((a) => !a.ok);
  if (failed.length === 0) return planReason;
  return `${chosen} after ${failed.map((a) => `${a.backend} (${a.threads} thread${a.threads > 1 ? 's' : ''}) failed: ${a.error?.message}`).join('; ')}`;
}

function asPageInferError(e: unknown): PageInferError {
  return e instanceof PageInferError ? e : reviveError(serializeError(e));
}

/** Creates an engine; cheap, as workers start only when needed. */
export function createEngine(options: EngineOptions = {}): Engine {
  return new Engine(options);
}
