/**
 * This worker's ORT: imported and configured once per entry (its env is global to the worker: the
 * first start fixes the thread count). A prepared worker (WorkerApi.prepare) starts it before the
 * model's bytes are there, so that the page's download or cache read and ORT's start overlap.
 */
import type { OrtModule } from '../backend/ort.js';
import { loadOrt } from '../backend/ort.js';
import type { BackendName } from '../backend/types.js';
import { SessionCreateError } from '../errors/index.js';
import { epochNow } from '../probe/clock.js';
import type { PrepareRequest, PrepareResult, RuntimeMarks, ThreadStartStage } from '../protocol/index.js';
import { startThreads } from './thread-start.js';
import { adoptModules, lastWasmLoad, takeCompiledModules } from './wasm-share.js';

export interface Runtime {
  ort: OrtModule;
  marks: RuntimeMarks;
}

/** ORT's env is global to the worker: the first start fixes backend entry and threads. */
let configured: { backend: BackendName; threads: number } | null = null;
const started = new Map<string, Promise<Runtime>>();

function assertThreads(request: PrepareRequest): void {
  if (configured && configured.threads !== request.threads) {
    throw new SessionCreateError(`This worker's ORT already runs ${configured.threads} threads; ${request.threads} needs a fresh worker`, { backend: request.backend });
  }
}

function configure(ort: OrtModule, request: PrepareRequest): void {
  assertThreads(request);
  if (configured) return;
  ort.env.wasm.numThreads = request.threads;
  ort.env.wasm.proxy = false; // we already are the worker
  if (request.wasmPaths) ort.env.wasm.wasmPaths = request.wasmPaths;
  ort.env.logLevel = 'error';
  configured = { backend: request.backend, threads: request.threads };
}

/**
 * ORT for `request`, imported and configured. With `warm` (a prepared worker) or several threads,
 * its runtime is also started on a one-node model (see thread-start.ts); else ORT starts it with
 * the model's own session. Concurrent and later calls for the same entry share the first start.
 */
export function startRuntime(request: PrepareRequest, options: { warm?: boolean; onStage?: (stage: ThreadStartStage) => void } = {}): Promise<Runtime> {
  const key = `${request.backend}|${request.ortModuleUrl ?? ''}`;
  const known = started.get(key);
  if (known) {
    try {
      assertThreads(request);
    } catch (e) {
      return Promise.reject(e);
    }
    // A prepared runtime: a multi-threaded caller's watch hears that its threads are up.
    if (request.threads > 1) return known.then(async (rt) => (await startThreads(rt.ort, options.onStage), rt));
    return known;
  }
  const starting = (async () => {
    const ortStart = epochNow();
    adoptModules(request.wasmModules);
    const ort = await loadOrt(request.backend, request.ortModuleUrl, request.ortEntryUrl);
    configure(ort, request);
    if (options.warm || request.threads > 1) await startThreads(ort, options.onStage);
    const wasm = lastWasmLoad();
    return { ort, marks: { ortStart, ortEnd: epochNow(), wasmStart: wasm?.start, wasmEnd: wasm?.end } };
  })();
  started.set(key, starting);
  starting.catch(() => started.delete(key)); // a failed start may be tried again
  return starting;
}

/** WorkerApi.prepare: starts ORT now, before any model is sent. */
export async function prepare(request: PrepareRequest, onStage?: (stage: ThreadStartStage) => void): Promise<PrepareResult> {
  const { marks } = await startRuntime(request, { warm: true, onStage });
  return { marks, compiledModules: takeCompiledModules().compiled };
}
