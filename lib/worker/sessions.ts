import type * as Ort from 'onnxruntime-web';
import { compatibilityError } from '../backend/compat.js';
import type { OrtModule } from '../backend/ort.js';
import type { BackendName } from '../backend/types.js';
import { epochNow } from '../probe/clock.js';
import { InferenceError, OutOfMemoryError, ProfileUnavailableError, SessionCreateError, PageInferError } from '../errors/index.js';
import { outOfMemoryCause, wasm32LimitBytes } from '../errors/memory.js';
import { parseProfile } from '../profile/ops.js';
import { decodeModel, encodeModel, graphInputs, graphOutputs, opHistogram, renameUnsafeValues } from '../onnx/index.js';
import { setNamed } from '../tensor/named.js';
import { maxShapeSessions, ShapeSessions } from './shape-sessions.js';
import type { RunResult, SessionHandle, SessionRequest, ThreadStartStage, TraceEvent } from '../protocol/index.js';
import type { Feeds, Outputs, Tensor, TensorData } from '../tensor/types.js';
import { captureStdout } from './stdout.js';
import { startRuntime } from './runtime.js';
import { takeCompiledModules } from './wasm-share.js';
import { assertDeviceAlive, assertDeviceAliveAfterFailure, watchGpuDevice } from './device.js';
import { workerMemory } from './memory.js';

interface Entry {
  session: Ort.InferenceSession;
  backend: BackendName;
  ort: OrtModule;
  /** Tensor names ORT's JS cannot carry (see onnx/rename.ts): original → ORT's name, and back. */
  toOrt: Map<string, string>;
  fromOrt: Map<string, string>;
  /** WebGL with free dims: a session per set of dim values fed. */
  shapes?: ShapeSessions;
  /** The model's input and output names, in the order the page's SessionHandle lists them. */
  names: SessionNames;
}

export interface SessionNames {
  inputs: string[];
  outputs: string[];
}

const sessions = new Map<number, Entry>();
let nextId = 1;
export async function createSession(request: SessionRequest, onStage?: (stage: ThreadStartStage) => void): Promise<SessionHandle> {
  try {
    return await buildSession(request, onStage);
  } catch (error) {
    throw asOutOfMemory(error, 'load', request.backend) ?? error;
  }
}

async function buildSession(request: SessionRequest, onStage?: (stage: ThreadStartStage) => void): Promise<SessionHandle> {
  const started = performance.now();
  const model = decodeModel(request.bytes); // InvalidModelError before ORT sees bad bytes
  const ops = opHistogram(model);
  const compat = compatibilityError(request.backend, ops);
  if (compat) throw compat;
  const inputs = graphInputs(model);
  const outputs = graphOutputs(model);

  const toOrt = renameUnsafeValues(model);
  const symbolic = toOrt.size ? encodeModel(model) : request.bytes;
  let bytes = symbolic;
  let fixedDims: Record<string, number> = {};
  if (request.backend === 'webgl') {
    // WebGL ignores freeDimensionOverrides: the static dims must be in the model.
    ({ bytes, fixed: fixedDims } = ShapeSessions.fix(model, symbolic, request.freeDimensionOverrides ?? {}));
  }

  const { ort, marks } = await startRuntime(request, { onStage });
  const build = async (modelBytes: Uint8Array): Promise<Ort.InferenceSession> => {
    try {
      return await ort.InferenceSession.create(modelBytes, {
        executionProviders: [request.backend],
        graphOptimizationLevel: request.graphOptimizationLevel ?? 'all',
        // ort.env.logLevel covers the JS side only; the native logger's default (2, warning) prints
        // e.g. "[W:onnxruntime ... VerifyEachNodeIsAssignedToAnEp]" on WebGPU, which pages see as console.error.
        logSeverityLevel: 3,
        freeDimensionOverrides: request.backend === 'webgl' ? undefined : request.freeDimensionOverrides,
        enableProfiling: request.enableProfiling ?? false,
      });
    } catch (cause) {
      throw new SessionCreateError(`${request.backend}: ${messageOf(cause)}`, { backend: request.backend }, { cause });
    }
  };
  const sessionStart = epochNow();
  const session = await build(bytes);
  const sessionEnd = epochNow();
  if (request.backend === 'webgpu') await watchGpuDevice(ort);
  const id = nextId++;
  const shared = takeCompiledModules();
  let shapes: ShapeSessions | undefined;
  if (Object.keys(fixedDims).length) {
    shapes = new ShapeSessions(symbolic, inputs, request.freeDimensionOverrides ?? {}, build);
    shapes.add(fixedDims, session);
  }
  const names = { inputs: inputs.map((v) => v.name), outputs: outputs.map((v) => v.name) };
  sessions.set(id, { session, backend: request.backend, ort, toOrt, fromOrt: new Map([...toOrt].map(([a, b]) => [b, a])), shapes, names });
  return {
    id,
    backend: request.backend,
    threads: request.threads,
    inputs,
    outputs,
    fixedDims,
    shapeSessions: shapes ? maxShapeSessions : undefined,
    ops,
    createMs: performance.now() - started,
    compiledModules: shared.compiled,
    wasmReused: shared.reused > 0,
    wasmNote: request.backend === 'webgl' ? undefined : shared.note,
    marks: { ...marks, sessionStart, sessionEnd },
  };
}

export async function runSession(id: number, feeds: Feeds): Promise<Pick<RunResult, 'outputs' | 'computeMs'>> {
  const entry = sessions.get(id);
  if (!entry) throw new InferenceError(`No session ${id} in this worker (released?; it holds ${sessions.size ? [...sessions.keys()].join(", ") : "none"})`, { sessionId: id });
  const { ort, toOrt, fromOrt } = entry;
  const gpu = entry.backend === 'webgpu';
  if (gpu) assertDeviceAlive();
  const session = entry.shapes ? await entry.shapes.sessionFor(feeds) : entry.session;
  const inputs: Record<string, Ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) setNamed(inputs, toOrt.get(name) ?? name, new ort.Tensor(t.type, t.data as never, t.dims));
  const started = performance.now();
  let results: Ort.InferenceSession.ReturnType;
  try {
    results = await session.run(inputs);
  } catch (cause) {
    if (gpu) await assertDeviceAliveAfterFailure(); // what failed was the device, not the model
    throw asOutOfMemory(cause, 'run', entry.backend) ?? new InferenceError(`Inference failed: ${messageOf(cause)}`, {}, { cause });
  }
  const computeMs = performance.now() - started;
  const outputs: Outputs = {};
  for (const [name, value] of Object.entries(results)) {
    const tensor = value as Ort.Tensor;
    const data = tensor.location === 'cpu' || tensor.location === undefined ? tensor.data : await tensor.getData(true);
    setNamed(outputs, fromOrt.get(name) ?? name, { type: tensor.type as Tensor['type'], data: ownCopy(data as TensorData), dims: [...tensor.dims] });
    tensor.dispose();
  }
  if (gpu) assertDeviceAlive(); // outputs read back from a device lost meanwhile are not to be trusted
  return { outputs, computeMs };
}

/** The input and output names of session `id`, or undefined once released. */
export function sessionNames(id: number): SessionNames | undefined {
  return sessions.get(id)?.names;
}

/** Ends ORT's profiling of a session created with `enableProfiling`, and returns its trace events. */
export async function endProfiling(id: number): Promise<TraceEvent[]> {
  const entry = sessions.get(id);
  if (!entry) throw new InferenceError(`No session ${id} in this worker (released?)`, { sessionId: id });
  const lines = await captureStdout(async () => {
    await entry.session.endProfiling(); // prints synchronously in ORT 1.30; awaited in case a later one does not
  });
  const events = parseProfile(lines);
  if (!events) throw new ProfileUnavailableError(`ORT printed no readable profile (${lines.length} line(s) of output)`, { lines: lines.length, first: lines[0]?.slice(0, 200) });
  return events;
}

export async function releaseSession(id: number): Promise<void> {
  const entry = sessions.get(id);
  sessions.delete(id);
  await (entry?.shapes ? entry.shapes.release() : entry?.session.release());
}

/**
 * An allocation failure as OutOfMemoryError, with the sizes known: the wasm heap when it failed and
 * wasm32's limit (ORT says neither what it asked for nor how much it had).
 */
function asOutOfMemory(error: unknown, stage: 'load' | 'run', backend: BackendName): OutOfMemoryError | null {
  if (error instanceof OutOfMemoryError) return error;
  const message = messageOf(error);
  const cause = outOfMemoryCause(message);
  if (!cause) return null;
  const heap = workerMemory().wasmHeapBytes;
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  const sizes = heap === null ? '' : `; the wasm heap had ${mib(heap)} of wasm32's ${mib(wasm32LimitBytes)}`;
  return new OutOfMemoryError(
    `Out of memory ${stage === 'load' ? 'building' : 'running'} a ${backend} session: ${cause}${sizes} (${message.trim()})`,
    { stage, backend, wasmHeapBytes: heap, limitBytes: wasm32LimitBytes, availableBytes: heap === null ? null : wasm32LimitBytes - heap, browserMessage: message.trim() },
    { cause: error },
  );
}

/** A view that owns its whole ArrayBuffer, so it can be transferred (never the wasm heap). */
function ownCopy(data: TensorData): TensorData {
  if (Array.isArray(data)) return data;
  const whole = data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return whole ? data : (data.slice() as TensorData);
}

function messageOf(e: unknown): string {
  if (e instanceof PageInferError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
