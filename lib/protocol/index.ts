/**
 * The one place that defines what crosses the worker boundary: the API the
 * worker exposes through Comlink, its message shapes, and how errors travel.
 */
import * as Comlink from 'comlink';
import type { BackendName } from '../backend/types.js';
import { reviveError, serializeError, type SerializedError } from '../errors/index.js';
import type { ProbedCapabilities } from '../probe/types.js';
import type { SharedModule, TraceEvent, WorkerMemory } from './payloads.js';
import type { Feeds, Outputs, ValueInfo } from '../tensor/types.js';

export type { SharedModule, TraceEvent, WorkerMemory } from './payloads.js';

/**
 * Posted by the worker once its module graph has loaded and its API listens.
 * An `error` event before it means the script never ran (a WorkerLoadError), after it a crash.
 */
export const workerReadyMessage = 'pageinfer:worker-ready';

export interface SessionRequest {
  /** Model bytes; transferred to the worker. */
  bytes: Uint8Array;
  backend: BackendName;
  /** wasm threads for this worker's ORT (fixed once ORT is initialised in a worker). */
  threads: number;
  /** Values for symbolic dims; on WebGL they are written into the model itself. */
  freeDimensionOverrides?: Record<string, number>;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Base URL or file map for ORT's .wasm/.mjs files, when not served next to ORT's module. */
  wasmPaths?: string | Record<string, string>;
  /** Load ORT from this module URL instead of the built-in entry for the backend (see loadOrt). */
  ortModuleUrl?: string;
  /**
   * The URL the page resolves the backend's ORT entry to (import maps): used when the worker's own
   * `import('onnxruntime-web/…')` cannot be resolved, as in a page without a bundler.
   */
  ortEntryUrl?: string;
  /** ORT wasm modules other workers compiled: instantiated instead of compiled again. */
  wasmModules?: SharedModule[];
  /** Turn ORT's profiler on (per-op trace events, read with endProfiling). */
  enableProfiling?: boolean;
}

export interface SessionHandle {
  id: number;
  backend: BackendName;
  threads: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Symbolic dims that were fixed to concrete values (WebGL). */
  fixedDims: Record<string, number>;
  /** WebGL with free dims: at most this many sessions, one per set of dim values fed (see worker/shape-sessions.ts). */
  shapeSessions?: number;
  ops: Record<string, number>;
  createMs: number;
  /** ORT wasm modules this worker compiled (the page hands them to later workers). */
  compiledModules: SharedModule[];
  /** True when ORT's wasm was instantiated from a module compiled in another worker. */
  wasmReused: boolean;
  /** Why ORT's wasm could not be shared, when it could not. */
  wasmNote?: string;
  /** When this worker's ORT started (possibly before this call: a prepared worker) and when the session was built. */
  marks: RuntimeMarks & { sessionStart: number; sessionEnd: number };
}

/**
 * Epoch ms (see probe/clock.ts: comparable across threads) of a worker's ORT start: its import and
 * initialization (`ortStart`..`ortEnd`), and, where the worker could watch it (see wasm-share.ts),
 * the fetch and compile of its .wasm (`wasmStart`..`wasmEnd`; short when a compiled module was reused).
 */
export interface RuntimeMarks {
  ortStart: number;
  ortEnd: number;
  wasmStart?: number;
  wasmEnd?: number;
}

/** What a worker needs to start ORT before the model's bytes are there (see WorkerApi.prepare). */
export type PrepareRequest = Pick<SessionRequest, 'backend' | 'threads' | 'wasmPaths' | 'ortModuleUrl' | 'ortEntryUrl' | 'wasmModules'>;

export interface PrepareResult {
  marks: RuntimeMarks;
  /** ORT wasm modules this worker compiled (the page hands them to later workers). */
  compiledModules: SharedModule[];
}

/**
 * Steps of a multi-threaded ORT runtime's start in a worker. The worker can block for good in it
 * (see worker/thread-start.ts), so the page times it itself, all but the wasm's fetch and compile.
 */
export type ThreadStartStage = 'threads-starting' | 'wasm-fetching' | 'wasm-instantiating' | 'threads-started';

export interface RunResult {
  outputs: Outputs;
  /** Time inside session.run, measured in the worker. */
  computeMs: number;
  /** Epoch ms (timeOrigin + now, comparable across threads) when the worker got the request (stats: transfer in/out). */
  receivedAt: number;
}

/**
 * Runs do not go through Comlink: a request is one plain message on the worker's own
 * channel (inputs in its transfer list), and the worker answers each with one reply, in
 * arrival order, so the page matches replies to requests first in, first out. Comlink
 * adds an id, a proxy and a listener per call; the run path is the one that pays for
 * them thousands of times a second. The tag keeps Comlink's listeners out of it.
 */
export interface RunRequest {
  /** The session to run. */
  readonly pageinferRun: number;
  readonly feeds: Feeds;
}

export type RunReply = { readonly pageinferRun: 'ok'; readonly result: RunResult } | { readonly pageinferRun: 'error'; readonly error: SerializedError };

export function isRunRequest(data: unknown): data is RunRequest {
  return typeof (data as RunRequest | null)?.pageinferRun === 'number';
}

/**
 * A reply to a request that came through the shared-memory run channel (./run-slots.ts) but could not
 * go back through it: an error, or outputs bigger than the slot (`needBytes`: the slot size they need).
 */
export type SlotReply = { readonly pageinferSlot: number; readonly generation: number } & (
  | { readonly result: RunResult; readonly needBytes: number }
  | { readonly error: SerializedError }
);

export function isSlotReply(data: unknown): data is SlotReply {
  return typeof (data as SlotReply | null)?.pageinferSlot === 'number';
}

export function isRunReply(data: unknown): data is RunReply {
  const tag = (data as RunReply | null)?.pageinferRun;
  return tag === 'ok' || tag === 'error';
}

/**
 * The worker's word that the WebGPU device its sessions run on is lost (GPUDevice.lost): the page
 * gives up the worker at once, failing what it had in flight with DeviceLostError, and the pool builds
 * a fresh one (a fresh worker gets a fresh device; ORT keeps the lost one for the worker's life).
 */
export interface DeviceLostNotice {
  readonly pageinferDeviceLost: { readonly reason: string; readonly message: string };
}

export function isDeviceLostNotice(data: unknown): data is DeviceLostNotice {
  return typeof (data as DeviceLostNotice | null)?.pageinferDeviceLost === 'object';
}

export interface WorkerApi {
  /**
   * Takes a Web Lock named `name` for the worker's whole life and resolves once
   * held. The page then queues for the same lock: it is granted exactly when
   * the worker dies, however it dies (terminate, crash, out of memory).
   */
  holdLifeLock(name: string): Promise<boolean>;
  probe(): Promise<ProbedCapabilities>;
  /** Busy until `startAt` (epoch ms), then counts work for `ms`: one window of the parallelism probe. */
  spin(startAt: number, ms: number): number;
  /** `onStage` (multi-threaded builds) hears when ORT's threads start and when they have: see ThreadStartStage. */
  createSession(request: SessionRequest, onStage?: (stage: ThreadStartStage) => void): Promise<SessionHandle>;
  /**
   * Imports ORT for `request.backend` and starts its runtime (wasm compiled and instantiated, threads
   * started) on a one-node model, so that a createSession that follows only builds the model's session.
   */
  prepare(request: PrepareRequest, onStage?: (stage: ThreadStartStage) => void): Promise<PrepareResult>;
  /** Ends the profiling of a session built with enableProfiling: ORT's trace events. */
  endProfiling(sessionId: number): Promise<TraceEvent[]>;
  release(sessionId: number): Promise<void>;
  memory(): Promise<WorkerMemory>;
  /**
   * Serves runs from a shared-memory channel (see run-slots.ts) from now on, as well as messages; a channel
   * attached before stays watched until the page closes it. After a run, the worker polls for the next
   * request for up to `spinMs` before it waits. False where the worker cannot wait on it (no Atomics.waitAsync).
   */
  attachRunChannel(buffer: SharedArrayBuffer, generation: number, spinMs: number): Promise<boolean>;
}

let registered = false;

/**
 * Makes thrown errors cross the boundary as their own class with code and
 * details. Comlink's built-in handler keeps only message/name/stack, so we
 * keep its detection (it knows its private marker) and replace the payload.
 */
export function registerErrorTransfer(): void {
  if (registered) return;
  registered = true;
  const builtin = Comlink.transferHandlers.get('throw')!;
  Comlink.transferHandlers.set('throw', {
    canHandle: builtin.canHandle,
    serialize: (thrown: unknown) => [serializeError((thrown as { value: unknown }).value), []],
    deserialize: (data: unknown) => {
      throw reviveError(data as SerializedError);
    },
  });
}

/** Buffers that can be moved instead of copied: whole, non-shared ArrayBuffers. */
export function transferablesOf(tensors: Record<string, { data: unknown }>): ArrayBuffer[] {
  const seen = new Set<ArrayBuffer>();
  for (const t of Object.values(tensors)) {
    const view = t.data;
    if (!ArrayBuffer.isView(view)) continue;
    const buffer = view.buffer;
    if (!(buffer instanceof ArrayBuffer)) continue; // SharedArrayBuffer: never transfer
    if (view.byteOffset !== 0 || view.byteLength !== buffer.byteLength) continue;
    seen.add(buffer);
  }
  return [...seen];
}
