// Exposes the library (from source) and small helpers to Playwright tests.
import * as pageinfer from '../../lib/index.js';
import { measureParallelism } from '../../lib/pool/parallelism.js';
import { mulberry32 } from '../../scripts/fixtures/random.js';
import { encodeModel } from '../../lib/onnx/index.js';
import { makeModel, makeNode, makeValueInfo } from '../../lib/onnx/build.js';
import { makeTensor } from '../../lib/onnx/tensor.js';
import type { EngineOptions, LoadOptions, Tensor, TensorType } from '../../lib/index.js';

export interface JsonTensor {
  type: TensorType;
  dims: number[];
  data: number[];
}

export interface CaughtError {
  name: string;
  code: string;
  message: string;
  details: Record<string, unknown>;
  /** The error is an instance of the exported class of its name: the class survived the worker boundary. */
  isOwnClass: boolean;
}

const arrays: Partial<Record<TensorType, new (data: number[]) => Tensor['data']>> = {
  float32: Float32Array,
  uint8: Uint8Array,
  int8: Int8Array,
  int32: Int32Array,
};

function toTensor(t: JsonTensor): Tensor {
  return { type: t.type, dims: t.dims, data: new arrays[t.type]!(t.data) };
}

function toJson(t: Tensor): JsonTensor {
  return { type: t.type, dims: [...t.dims], data: Array.from(t.data as ArrayLike<number>, Number) };
}

function caught(e: unknown): CaughtError {
  const err = e as pageinfer.PageInferError;
  const Cls = (pageinfer as unknown as Record<string, unknown>)[err?.name];
  return {
    name: err?.name,
    code: err?.code,
    message: err?.message,
    details: JSON.parse(JSON.stringify(err?.details ?? {})),
    isOwnClass: typeof Cls === 'function' && e instanceof (Cls as new () => unknown),
  };
}

/** Workers spawned by `trackedEngine`, so tests can kill one. */
const spawned: Worker[] = [];

const harness = {
  /** A model `output = Neg(input)` over float32 [batch, 2], with the tensor names given (names are data, not keys). */
  negModel(input: string, output: string): Uint8Array {
    return encodeModel(makeModel({ nodes: [makeNode('Neg', [input], [output])], inputs: [makeValueInfo(input, 'float32', ['batch', 2])], outputs: [makeValueInfo(output, 'float32', ['batch', 2])] }));
  },
  /**
   * `y = ReduceSum(Expand(x, dims))` over float32 x [1]: one intermediate of dims' product in floats, and a
   * scalar out. With dims past wasm32's 4 GiB it cannot be allocated, whatever the page does: out of memory.
   */
  expandModel(dims: number[]): Uint8Array {
    return encodeModel(
      makeModel({
        nodes: [makeNode('Expand', ['x', 'shape'], ['big']), makeNode('ReduceSum', ['big'], ['y'], { keepdims: 0 })],
        inputs: [makeValueInfo('x', 'float32', [1])],
        outputs: [makeValueInfo('y', 'float32', [])],
        initializers: [makeTensor('shape', 'int64', [dims.length], dims.map(BigInt))],
      }),
    );
  },
  /** Workers a noGpuEngine creates from now on have no WebGPU (see no-gpu-worker.ts). */
  noGpuInNewWorkers: false,
  /** An engine whose workers lose navigator.gpu while noGpuInNewWorkers is set. */
  noGpuEngine(options: EngineOptions = {}) {
    return pageinfer.createEngine({
      ...options,
      createWorker: () => {
        const name = harness.noGpuInNewWorkers ? 'pageinfer-no-gpu' : 'pageinfer';
        const w = new Worker(new URL('./no-gpu-worker.ts', import.meta.url), { type: 'module', name });
        spawned.push(w);
        return w;
      },
    });
  },
  /** Seeded uniform numbers in [0, 1), so random test patterns repeat. */
  random(seed: number): () => number {
    const rng = mulberry32(seed);
    return () => rng.next();
  },
  /** Resolves true once `check()` holds, false after `timeoutMs`. */
  async until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (check()) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return check();
  },
  toTensor,
  toJson,
  caught,
  spawned,
  feedsOf(feeds: Record<string, JsonTensor>) {
    return Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toTensor(v)]));
  },
  trackedEngine(options: EngineOptions = {}) {
    return pageinfer.createEngine({
      ...options,
      createWorker: () => {
        const w = new Worker(new URL('../../lib/worker/worker.ts', import.meta.url), { type: 'module' });
        spawned.push(w);
        return w;
      },
    });
  },
  /** How many upcoming `run` calls kill their worker instead of reaching it (crash injection). */
  crashNextRuns: 0,
  /** Multi-threaded session builds get no answer (they hang) while this is set. */
  hangMultiThreadBuilds: false,
  /** How many of the next workers a stallingEngine creates block for good at ORT's instantiation. */
  stallNextWorkers: 0,
  /** An engine whose next `stallNextWorkers` workers stall starting ORT (see stall-worker.ts). */
  stallingEngine(options: EngineOptions = {}) {
    return pageinfer.createEngine({
      ...options,
      createWorker: () => {
        const name = harness.stallNextWorkers > 0 ? (harness.stallNextWorkers--, 'pageinfer-stall') : 'pageinfer';
        const w = new Worker(new URL('./stall-worker.ts', import.meta.url), { type: 'module', name });
        spawned.push(w);
        return w;
      },
    });
  },
  /** Hold back each new worker's life-lock request this long, so its session is ready before the page watches it. */
  delayLifeLockMs: 0,
  /**
   * An engine whose workers crash on demand: see crashNextRuns. The crash is injected on the run's
   * message, so runs go by message here (runChannel: false); a crash with a run in the shared run channel
   * is engine.spec's "a worker killed from outside".
   */
  crashingEngine(options: EngineOptions = {}) {
    return pageinfer.createEngine({
      runChannel: false,
      ...options,
      createWorker: () => {
        const w = new Worker(new URL('../../lib/worker/worker.ts', import.meta.url), { type: 'module' });
        spawned.push(w);
        const post = w.postMessage.bind(w) as (message: unknown, transfer: Transferable[]) => void;
        w.postMessage = ((message: { type?: string; path?: string[]; pageinferRun?: number }, transfer: Transferable[] = []) => {
          if (harness.crashNextRuns > 0 && message?.pageinferRun !== undefined) {
            harness.crashNextRuns--;
            structuredClone(message, { transfer }); // the inputs leave the page, as posting them would
            w.terminate(); // dies with the request in hand, as an out-of-memory kill would
            return;
          }
          // A multi-threaded session build that never answers, as WebKitGTK's (and now and then Firefox's) can hang.
          const request = (message as { argumentList?: Array<{ value?: { threads?: number } }> })?.argumentList?.[0]?.value;
          if (harness.hangMultiThreadBuilds && message?.type === 'APPLY' && message.path?.[0] === 'createSession' && (request?.threads ?? 1) > 1) return;
          if (harness.delayLifeLockMs > 0 && message?.type === 'APPLY' && message.path?.[0] === 'holdLifeLock') {
            setTimeout(() => post(message, transfer), harness.delayLifeLockMs);
            return;
          }
          post(message, transfer);
        }) as Worker['postMessage'];
        return w;
      },
    });
  },
  /** The parallelism probe itself (internal to the engine), on `workers` real workers. */
  measureParallelism,
  /** Loads `url`, runs `feeds` once, returns plain outputs and info; errors come back as data. */
  async loadAndRun(url: string, feeds: Record<string, JsonTensor>, load: LoadOptions = {}, engineOptions: EngineOptions = {}) {
    const engine = pageinfer.createEngine(engineOptions);
    try {
      const model = await engine.load(url, load);
      const out = await model.run(harness.feedsOf(feeds));
      return { outputs: Object.fromEntries(Object.entries(out).map(([k, v]) => [k, toJson(v)])), info: model.info };
    } catch (e) {
      return { error: caught(e) };
    } finally {
      await engine.dispose();
    }
  },
};

declare global {
  interface Window {
    pageinfer: typeof pageinfer;
    harness: typeof harness;
    harnessReady: boolean;
  }
}

window.pageinfer = pageinfer;
window.harness = harness;
window.harnessReady = true;
document.getElementById('status')!.textContent = 'ready';
