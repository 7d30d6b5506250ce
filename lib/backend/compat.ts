import { UnsupportedModelError } from '../errors/index.js';
import type { BackendName } from './types.js';

/** ORT's WebGL backend implements none of the quantization ops. */
const int8Ops = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'com.microsoft:QLinearAdd',
  'com.microsoft:QLinearMul',
  'com.microsoft:QGemm',
  'com.microsoft:DynamicQuantizeMatMul',
  'com.microsoft:MatMulIntegerToFloat',
]);

/** Op types in `ops` that a backend is known not to run; empty when none. */
export function unsupportedOps(backend: BackendName, ops: Record<string, number>): string[] {
  if (backend !== 'webgl') return [];
  return Object.keys(ops).filter((op) => int8Ops.has(op)).sort();
}

/** A typed reason why `backend` cannot run a model with these ops, or null when it may. */
export function compatibilityError(backend: BackendName, ops: Record<string, number>): UnsupportedModelError | null {
  const missing = unsupportedOps(backend, ops);
  if (missing.length === 0) return null;
  return new UnsupportedModelError(`${backend} cannot run this model: no kernels for ${missing.join(', ')} (int8 ops); use wasm or webgpu`, {
    backend,
    ops: missing,
  });
}
