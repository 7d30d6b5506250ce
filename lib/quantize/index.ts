/**
 * pageinfer's ONNX quantizer: float model in, int8 model out, in Node or a browser.
 *
 * Which form to pick (see ../../shared/FACTS.md for the measurements):
 *   dynamic   — MatMulInteger/ConvInteger; no calibration data needed; fastest
 *               int8 on wasm for MatMul-heavy models. Runs on CPU only (WebGPU
 *               falls back node by node).
 *   static qoperator — QLinearMatMul/QLinearConv; needs calibration; fast on wasm.
 *   static qdq — QuantizeLinear/DequantizeLinear pairs; ORT fuses them on wasm. On the
 *               WebGPU native EP (ORT 1.30) DequantizeLinear, Conv, Gemm and MatMul run on
 *               the GPU but QuantizeLinear has no kernel: each activation goes to the CPU
 *               and back. Avoid on the JSEP WebGPU entry (DequantizeLinear bug).
 *   weight-only — int8 weights behind DequantizeLinear, float activations and math: no
 *               calibration, as small as the others, and the form WebGPU runs entirely
 *               on the GPU (measured node placement: every node on WebGPU but shape ops).
 *               On wasm it runs at float speed.
 */
export { QuantizeError, UnsupportedOpError, FileAccessError } from '../errors/index.js';
export { validateModel } from './validate.js';
export type { NodeReport } from './rewrite.js';
export type { SessionFactory, ModelSession } from './runner.js';
export type { Range, CalibrationMethod } from './calibrate.js';
export { guardedQuantize, compareOutputs } from './guard.js';
export type { GuardOptions, GuardReport, OutputComparison, GuardTarget } from './guard.js';
export { quantize, quantizableOps, type Progress, type QuantizeOptions, type QuantizeReport, type QuantizeResult } from './quantize.js';
