/**
 * A hand-written raw-ORT worker for the benchmark's ceiling measurement: the least a
 * developer could write (one session, one job at a time, outputs transferred), with none
 * of pageinfer's scheduling, validation, crash detection or stats.
 */
import * as ort from 'onnxruntime-web/wasm';

type Msg = { init: { model: ArrayBuffer; wasm: string } } | { id: number; input: string; data: Float32Array; dims: number[] };

let session: ort.InferenceSession | null = null;
let chain: Promise<unknown> = Promise.resolve();

onmessage = (e: MessageEvent<Msg>) => {
  const m = e.data;
  // A failure is posted back (a rejected promise fires no error event: the page would wait forever).
  const fail = (error: unknown) => postMessage({ id: 'init' in m ? -1 : m.id, error: String((error as Error)?.message ?? error) });
  chain = chain.then(async () => {
    if ('init' in m) {
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.wasmPaths = { wasm: m.init.wasm };
      ort.env.logLevel = 'error';
      session = await ort.InferenceSession.create(new Uint8Array(m.init.model), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      postMessage({ ready: true });
      return;
    }
    const out = await session!.run({ [m.input]: new ort.Tensor('float32', m.data, m.dims) });
    const y = Object.values(out)[0] as ort.Tensor;
    const data = (y.data as Float32Array).slice();
    postMessage({ id: m.id, data, dims: [...y.dims] }, { transfer: [data.buffer] });
  }).catch(fail);
};
