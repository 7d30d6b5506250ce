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

/**
 * Loads the ORT entry for `backend`, or the ORT module at `moduleUrl` when
 * given (a custom or self-hosted build). Tests use the latter to bring in ORT's
 * default entry, whose JSEP WebGPU returns wrong int8 results, and check that
 * the tuner's numerics guard rejects it; a URL keeps that entry out of bundles.
 */
export function loadOrt(backend: BackendName, moduleUrl?: string): Promise<OrtModule> {
  if (moduleUrl) return import(/* @vite-ignore */ moduleUrl) as Promise<OrtModule>;
  return loaders[backend]();
}
