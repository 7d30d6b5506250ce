import * as Comlink from 'comlink';
import type { BackendName } from '../backend/types.js';
import { epochNow, transferablesOf, type RunResult, type SessionHandle, type SessionRequest } from '../protocol/index.js';
import type { TraceEvent } from '../profile/ops.js';
import type { Feeds } from '../tensor/types.js';
import { WorkerHost, type WorkerFactory } from '../worker/host.js';
import type { WorkerMemory } from '../worker/memory.js';
import { keepModules, modulesForWorker } from '../worker/wasm-share.js';

/** Everything needed to build one more identical session (a replica) in a fresh worker. */
export interface SessionConfig {
  backend: BackendName;
  threads: number;
  freeDimensionOverrides?: Record<string, number>;
  graphOptimizationLevel?: SessionRequest['graphOptimizationLevel'];
  wasmPaths?: SessionRequest['wasmPaths'];
  ortModuleUrl?: string;
  /** ORT's profiler on (a profiling replica, never a serving one). */
  enableProfiling?: boolean;
  timeoutMs: number;
  createWorker?: WorkerFactory;
}

export interface TimedResult extends RunResult {
  sentAt: number;
  doneAt: number;
}

/** One worker holding one session of the model. */
export class Replica {
  /** Jobs sent and not yet answered. */
  inflight = 0;
  /** Rows in those jobs: the "outstanding work" dispatch balances on. */
  outstandingRows = 0;
  runs = 0;
  /** Input + output bytes that went through this worker (a proxy for its wasm heap growth). */
  bytes = 0;
  /** Worn out (recycling): takes no new jobs, and is replaced when the last one is back. */
  retiring = false;

  private constructor(
    private readonly host: WorkerHost,
    readonly handle: SessionHandle,
  ) {}

  /** Builds a session from `bytes` (copied; the caller keeps them) in a new worker; kills the worker on failure. */
  static async open(bytes: Uint8Array, config: SessionConfig, signal?: AbortSignal): Promise<Replica> {
    const host = new WorkerHost(config.createWorker);
    try {
      const copy = bytes.slice();
      const request: SessionRequest = {
        bytes: copy,
        backend: config.backend,
        threads: config.threads,
        freeDimensionOverrides: config.freeDimensionOverrides,
        graphOptimizationLevel: config.graphOptimizationLevel,
        wasmPaths: config.wasmPaths,
        ortModuleUrl: config.ortModuleUrl,
        wasmModules: modulesForWorker(),
        enableProfiling: config.enableProfiling,
      };
      const what = `building a ${config.backend} session with ${config.threads} thread(s)`;
      const handle = await host.call((api) => api.createSession(Comlink.transfer(request, [copy.buffer])), { signal, timeoutMs: config.timeoutMs, what });
      // With a shared wasm module the session can be ready before the page watches the worker's life lock.
      await host.call(() => host.watching, { signal, timeoutMs: config.timeoutMs, what });
      keepModules(handle.compiledModules);
      handle.compiledModules = []; // the page keeps them; the handle stays plain data (info, IndexedDB)
      return new Replica(host, handle);
    } catch (error) {
      host.terminate('session attempt failed'); // a failed backend must not poison the next attempt
      throw error;
    }
  }

  get alive(): boolean {
    return this.host.alive;
  }

  async run(feeds: Feeds, rows: number, transfer: boolean, signal?: AbortSignal): Promise<TimedResult> {
    this.inflight++;
    this.outstandingRows += rows;
    const sentAt = epochNow();
    try {
      const result = await this.host.call((api) => api.run(this.handle.id, Comlink.transfer(feeds, transfer ? transferablesOf(feeds) : [])), {
        signal,
        what: 'run',
      });
      this.runs++;
      this.bytes += byteSize(feeds) + byteSize(result.outputs);
      return { ...result, sentAt, doneAt: epochNow() };
    } finally {
      this.inflight--;
      this.outstandingRows -= rows;
    }
  }

  /** ORT's trace events since the session was built (enableProfiling): profiling ends with this call. */
  endProfiling(): Promise<TraceEvent[]> {
    return this.host.call((api) => api.endProfiling(this.handle.id), { what: 'endProfiling', timeoutMs: 10_000 });
  }

  memory(): Promise<WorkerMemory> {
    return this.host.call((api) => api.memory(), { what: 'memory', timeoutMs: 2000 });
  }

  async dispose(): Promise<void> {
    if (this.host.alive) {
      await this.host.call((api) => api.release(this.handle.id), { what: 'release', timeoutMs: 2000 }).catch(() => {});
    }
    this.host.terminate('replica disposed');
  }
}

function byteSize(tensors: Feeds): number {
  let n = 0;
  for (const t of Object.values(tensors)) n += ArrayBuffer.isView(t.data) ? t.data.byteLength : 0;
  return n;
}
