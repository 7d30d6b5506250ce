import * as Comlink from 'comlink';
import type { BackendName } from '../backend/types.js';
import { OutOfMemoryError, TimeoutError, toAbortError, type PageInferError } from '../errors/index.js';
import { transferablesOf, type RunResult, type SessionHandle, type SessionRequest, type TraceEvent, type WorkerMemory } from '../protocol/index.js';
import type { Feeds } from '../tensor/types.js';
import { WorkerHost } from '../worker/host.js';
import type { WorkerFactory } from '../worker/spawn.js';
import { ortEntryUrls } from '../backend/entries.js';
import { keepModules, modulesForWorker } from '../worker/wasm-share.js';
import type { WarmWorker } from './warm.js';
import { isThreadStartStall, maxStartAttempts, threadStartWatch } from './thread-watch.js';

/**
 * The shared-memory run path (issue 17): where the page is cross-origin isolated and has
 * Atomics.waitAsync, each worker gets a SharedArrayBuffer with slots for the runs in flight; inputs
 * and outputs are copied through it and the threads wake each other with Atomics, instead of posting
 * two messages a run. Elsewhere, and for requests too big for it, runs go by message.
 */
export interface RunChannelOptions {
  /**
   * After a run, how long (ms) the worker polls for the next request before it waits for it: a request
   * that comes meanwhile skips the worker's wake-up (0.06-0.13 ms a run in Chromium and Firefox here), at
   * the cost of a busy core for up to spinMs after every run. Default 0: measure it (npm run bench) first.
   */
  spinMs?: number;
}

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
  /** Runs through a shared-memory channel where the page can (see RunChannelOptions); false: always by message. */
  runChannel?: RunChannelOptions | false;
  timeoutMs: number;
  createWorker?: WorkerFactory;
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
  /** Why each worker given up before this one was (its threads stalled starting): empty when none was. */
  startStalls: string[] = [];

  private constructor(
    private readonly host: WorkerHost,
    readonly handle: SessionHandle,
    /** When its worker was created and ready (epoch ms), and whether it was a worker prepared ahead of the model. */
    readonly started: { workerStart: number; workerReady?: number; prepared: boolean },
  ) {}

  /**
   * Builds a session from `bytes` (copied; the caller keeps them) in a new worker; kills the worker on failure.
   * A multi-threaded runtime whose start stalls (see worker/thread-start.ts) is given up to two more fresh
   * workers: the stall is random (1 start in 20 to 100 in Firefox here), so another start almost always goes through.
   */
  static async open(bytes: Uint8Array, config: SessionConfig, signal?: AbortSignal, warm?: WarmWorker): Promise<Replica> {
    const stalls: string[] = [];
    for (;;) {
      try {
        const replica = await Replica.openOnce(bytes, config, signal, stalls.length ? undefined : warm);
        replica.startStalls = stalls;
        return replica;
      } catch (error) {
        if (!isThreadStartStall(error)) throw error;
        stalls.push(error.message);
        if (stalls.length === maxStartAttempts) throw new TimeoutError(`${error.message}, ${stalls.length} times, each time in a fresh worker`, error.details);
      }
    }
  }

  private static async openOnce(bytes: Uint8Array, config: SessionConfig, signal?: AbortSignal, warm?: WarmWorker): Promise<Replica> {
    const prepared = warm ? await abortable(warm.take(config), signal) : undefined;
    const host = prepared?.host ?? new WorkerHost(config.createWorker);
    const stall = threadStartWatch(config);
    const watched = signal ? AbortSignal.any([signal, stall.signal]) : stall.signal;
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
        ortEntryUrl: ortEntryUrls()[config.backend],
        wasmModules: modulesForWorker(),
        enableProfiling: config.enableProfiling,
      };
      const what = `building a ${config.backend} session with ${config.threads} thread(s)`;
      const handle = await host.call((api) => api.createSession(Comlink.transfer(request, [copy.buffer]), stall.onStage), { signal: watched, timeoutMs: config.timeoutMs, what });
      // With a shared wasm module the session can be ready before the page watches the worker's life lock.
      await host.call(() => host.watching, { signal, timeoutMs: config.timeoutMs, what });
      if (config.runChannel !== false && (await host.openRunChannel(config.runChannel?.spinMs ?? 0, config.timeoutMs))) {
        host.useRunChannel(handle.id, { inputs: handle.inputs.map((v) => v.name), outputs: handle.outputs.map((v) => v.name) });
      }
      keepModules(handle.compiledModules);
      handle.compiledModules = []; // the page keeps them; the handle stays plain data (info, IndexedDB)
      return new Replica(host, handle, { workerStart: host.spawnedAt, workerReady: host.readyAt, prepared: !!prepared });
    } catch (error) {
      host.terminate('session attempt failed'); // a failed backend must not poison the next attempt
      throw stall.signal.aborted && !signal?.aborted ? stall.signal.reason : error;
    } finally {
      stall.stop();
    }
  }

  get alive(): boolean {
    return this.host.alive;
  }

  /** Calls `listener` once when the worker dies (also when it is disposed), with why it died. */
  onDeath(listener: (error: PageInferError) => void): void {
    this.host.onDeath(listener);
  }

  /** Runs go through a shared-memory channel (see RunChannelOptions). */
  get runsShared(): boolean {
    return this.host.hasRunChannel;
  }

  async run(feeds: Feeds, rows: number, transfer: boolean, signal?: AbortSignal): Promise<RunResult> {
    this.inflight++;
    this.outstandingRows += rows;
    const sent = byteSize(feeds); // before the call: transferred buffers read 0 bytes after it
    try {
      const result = await this.host.run(this.handle.id, feeds, transfer ? transferablesOf(feeds) : [], signal);
      this.runs++;
      this.bytes += sent + byteSize(result.outputs);
      return result;
    } catch (error) {
      // A heap that failed to grow stays as big as it got, and ORT may be left half-allocated: the pool
      // replaces the worker (its other jobs are retried there), and this request fails with the error.
      if (error instanceof OutOfMemoryError) this.host.terminate(`out of memory: ${error.message}`);
      throw error;
    } finally {
      this.inflight--;
      this.outstandingRows -= rows;
    }
  }

  /** ORT's trace events since the session was built (enableProfiling): profiling ends with this call. */
  endProfiling(timeoutMs: number, what = 'endProfiling'): Promise<TraceEvent[]> {
    return this.host.call((api) => api.endProfiling(this.handle.id), { what, timeoutMs });
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

/** `promise`, or an AbortError as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(toAbortError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(toAbortError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
