/**
 * TF.js as a peer: the same MNIST CNN (scripts/mnist/nets.ts) with the same float weights,
 * read from the ONNX file's initializers, built from tfjs-core ops, on TF.js's wasm or WebGL
 * backend. TF.js cannot load ONNX, so only this model takes part, in f32.
 *
 * TF.js comes from the virtual module `virtual:bench-tfjs` (e2e/bench/server.ts): the packages
 * when installed (@tensorflow/tfjs-core, -backend-wasm, -backend-webgl, -backend-cpu), else null,
 * and the peer reports itself unavailable instead of breaking the page.
 */
import { tfjs, type TfjsModule, type TfTensor } from 'virtual:bench-tfjs';
import { decodeModel, readTensor } from '../../../lib/onnx/index.js';

export type TfjsPeer = 'tfjs-wasm' | 'tfjs-webgl';

export const tfjsAvailable = (): boolean => tfjs !== null;

export async function tfjsRunner(peer: TfjsPeer, modelBytes: Uint8Array, threads: number): Promise<{ run(x: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: number[] }>; dispose(): Promise<void>; backend: string }> {
  if (!tfjs) throw new Error('TF.js is not installed (npm i -D @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm @tensorflow/tfjs-backend-webgl @tensorflow/tfjs-backend-cpu)');
  const t: TfjsModule = tfjs;
  const { tf } = t;
  const backend = peer === 'tfjs-wasm' ? 'wasm' : 'webgl';
  if (backend === 'wasm') {
    t.setWasmPaths(t.wasmFiles);
    // TF.js's threaded wasm build starts its pthreads from an inlined worker script that does not
    // survive bundling ("e is not defined" in every pthread, then a hang): single-threaded SIMD,
    // which is also what the other peers run (1 thread) by default.
    if (threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    else t.setThreadsCount(threads);
  }
  // TF.js has one active backend per page; tensors live on the backend they were made on. Both
  // TF.js peers can share a page (interleaved runs) as long as each switches to its own backend first.
  const use = async () => {
    if (tf.getBackend() === backend) return;
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js could not initialise its ${backend} backend`);
    await tf.ready();
  };
  await use();
  const w: Record<string, TfTensor> = {};
  for (const init of decodeModel(modelBytes).graph?.initializer ?? []) {
    const { dims, data } = readTensor(init);
    w[init.name ?? ''] = tf.tensor(Float32Array.from(data as ArrayLike<number>), dims, 'float32');
  }
  const need = ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'];
  const missing = need.filter((n) => !w[n]);
  if (missing.length) throw new Error(`not the MNIST CNN of scripts/mnist/nets.ts (missing ${missing.join(', ')})`);
  // ONNX conv weights are OIHW; TF.js wants HWIO.
  const k1 = tf.transpose(w['conv1.weight'], [2, 3, 1, 0]);
  const k2 = tf.transpose(w['conv2.weight'], [2, 3, 1, 0]);
  const all = [...Object.values(w), k1, k2];
  return {
    backend: tf.getBackend(),
    async run(x, dims) {
      await use();
      const out = tf.tidy(() => {
        const n = dims[0];
        const input = tf.transpose(tf.tensor(x, dims, 'float32'), [0, 2, 3, 1]); // NCHW → NHWC
        let h = tf.relu(tf.add(tf.conv2d(input, k1, 1, 'same'), w['conv1.bias']));
        h = tf.maxPool(h, 2, 2, 'valid');
        h = tf.relu(tf.add(tf.conv2d(h, k2, 1, 'same'), w['conv2.bias']));
        h = tf.maxPool(h, 2, 2, 'valid');
        const flat = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [n, 16 * 7 * 7]); // ONNX flattens NCHW
        const f1 = tf.relu(tf.add(tf.matMul(flat, w['fc1.weight'], false, true), w['fc1.bias']));
        return tf.add(tf.matMul(f1, w['fc2.weight'], false, true), w['fc2.bias']);
      });
      const data = (await out.data()) as Float32Array;
      const shape = [...out.shape];
      out.dispose();
      return { data, dims: shape };
    },
    async dispose() {
      for (const t2 of all) t2.dispose();
    },
  };
}
