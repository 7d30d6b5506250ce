import * as Comlink from 'comlink';
import type { OrtModule } from '../backend/ort.js';
import { encodeModel } from '../onnx/index.js';
import { makeModel, makeNode, makeValueInfo } from '../onnx/build.js';
import type { ThreadStartStage } from '../protocol/index.js';
import { watchNextWasmLoad } from './wasm-share.js';

let started = false;

/**
 * Starts ORT's multi-threaded runtime (its wasm instance and thread pool) on a one-node model, before
 * the real one is read. That start can block the worker for good: in Firefox ESR here, about 1
 * two-thread build in 20 to 100 never got past it, before ORT's wasm was even instantiated (the
 * glue creates its thread workers first). It is the same small step for every model (tens of ms),
 * so the page gives it a deadline of its own instead of waiting out the whole build's. `onStage`
 * tells it when the step begins and ends, and when the wasm is being fetched and compiled in
 * between: that part can be slow on a slow network, does not block, and is not timed.
 */
export async function startThreads(ort: OrtModule, onStage?: (stage: ThreadStartStage) => void): Promise<void> {
  const tell = (stage: ThreadStartStage) => void Promise.resolve(onStage?.(stage)).catch(() => {}); // the page may be gone
  try {
    if (started) return;
    // Where the wasm's fetch cannot be seen (no module sharing), it cannot be left out of the timing: no step is timed.
    if (watchNextWasmLoad({ fetching: () => tell('wasm-fetching'), instantiating: () => tell('wasm-instantiating') })) tell('threads-starting');
    const canary = await ort.InferenceSession.create(identityModel(), { executionProviders: ['wasm'], logSeverityLevel: 3 });
    await canary.release();
    started = true;
  } catch {
    // Not the model's failure: the real build, next, reports whatever is wrong.
  } finally {
    watchNextWasmLoad(undefined); // a canary that failed before loading the wasm must not leave its hooks behind
    tell('threads-started'); // back here, failed or not, the start did not block
    (onStage as Partial<Comlink.Remote<unknown>> | undefined)?.[Comlink.releaseProxy]?.();
  }
}

function identityModel(): Uint8Array {
  return encodeModel(makeModel({ nodes: [makeNode('Identity', ['x'], ['y'])], inputs: [makeValueInfo('x', 'float32', [1])], outputs: [makeValueInfo('y', 'float32', [1])] }));
}
