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
 *               With weightOnlyForm 'cast' (Cast·scale) ORT folds the weights into float
 *               constants at session creation: float speed on wasm, exactly; DequantizeLinear
 *               on a weight ORT keeps and runs every call (1.25× slower at batch 1, MNIST CNN).
 * Default: quantize() as asked; guardedQuantize() (what the CLI runs with no flags) also checks
 * the result against float on made or given inputs and keeps what breaks (guard.ts).
 */
export { QuantizeError, UnsupportedOpError, FileAccessError } from '../errors/index.js';
export { validateModel } from './validate.js';
export type { NodeReport } from './rewrite.js';
export type { SessionFactory, ModelSession } from './runner.js';
export type { Range, CalibrationMethod } from './calibrate.js';
export { guardedQuantize, compareOutputs, defaultTarget } from './guard.js';
export { makeEvalInputs, detectKind, type EvalDataOptions, type EvalKind } from './evalinputs.js';
export { foldBatchNorm } from './fold.js';
export { planForWasm, type SpeedOptions, type SpeedPlan, type SpeedCandidate } from './speed.js';
export type { PerChannel } from './params.js';
export type { WeightOnlyForm } from './weightonly.js';
export type { GuardOptions, GuardReport, OutputComparison, GuardTarget } from './guard.js';
export { quantize, quantizableOps, type Progress, type QuantizeOptions, type QuantizeReport, type QuantizeResult } from './quantize.js';
