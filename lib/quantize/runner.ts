/**
 * Runs models for calibration, the accuracy guard and tests. The default uses
 * onnxruntime-web's wasm backend (works in browsers and in Node), imported
 * lazily so the rewrites themselves never load ORT.
 */
import type { Feeds, Outputs, Tensor } from '../tensor/types.js';

export interface ModelSession {
  run(feeds: Feeds, outputNames?: readonly string[]): Promise<Outputs>;
  release(): Promise<void>;
}

export type SessionFactory = (modelBytes: Uint8Array) => Promise<ModelSession>;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

export const ortSession: SessionFactory = async (bytes) => {
  // Calibration needs the CPU only. In browsers, the wasm-only entry: its .wasm is half the
  // size of the default entry's (14 vs 28 MB), so the page compiles it twice as fast. Node
  // resolves the default entry to ORT's Node build. Same CPU kernels either way, which is
  // why a page and Node calibrate to the same ranges and write the same bytes.
  const ort = isNode ? await import('onnxruntime-web') : await import('onnxruntime-web/wasm');
  ort.env.wasm.numThreads = 1; // threads need crossOriginIsolated in pages and gain little for calibration
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return {
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
      const result = outputNames ? await session.run(ortFeeds, outputNames as string[]) : await session.run(ortFeeds);
      const out: Outputs = {};
      for (const [k, t] of Object.entries(result)) out[k] = { type: t.type as Tensor['type'], data: t.data as Tensor['data'], dims: [...t.dims] };
      return out;
    },
    release: () => session.release(),
  };
};

/** Runs every feed set through one session and returns the outputs in order. */
export async function runAll(factory: SessionFactory, bytes: Uint8Array, inputs: readonly Feeds[], outputNames?: readonly string[]): Promise<Outputs[]> {
  const session = await factory(bytes);
  try {
    const results: Outputs[] = [];
    for (const feeds of inputs) results.push(await session.run(feeds, outputNames));
    return results;
  } finally {
    await session.release();
  }
}
