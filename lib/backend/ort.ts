/**
 * Lazy loaders for onnxruntime-web entries, one per backend: a worker imports
 * only the entry its backend needs. Worker-side only.
 */
import type * as Ort from 'onnxruntime-web';
import type { BackendName } from './types.js';

export type OrtModule = typeof Ort;

const loaders: Record<BackendName, () => Promise<OrtModule>> = {
  // The native WebGPU EP. Never the default entry: its JSEP WebGPU returns wrong
  // results for uint8 QDQ/QLinear models (microsoft/onnxruntime#32578).
  webgpu: () => import('onnxruntime-web/webgpu'),
  wasm: () => import('onnxruntime-web/wasm'),
  webgl: () => import('onnxruntime-web/webgl'),
};

export function loadOrt(backend: BackendName): Promise<OrtModule> {
  return loaders[backend]();
}
