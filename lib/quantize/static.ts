/**
 * Static quantization: activation ranges come from calibration, weights are
 * quantized ahead of time. Two output forms:
 *   qdq       — QuantizeLinear/DequantizeLinear pairs around float ops; ORT fuses
 *               them into integer kernels on wasm, and WebGPU keeps them on the GPU.
 *   qoperator — QLinearConv/QLinearMatMul with explicit QuantizeLinear/DequantizeLinear
 *               only where float ops need the values (fastest on wasm).
 * Only nodes of the main graph are quantized: calibration cannot observe tensors
 * inside If/Loop bodies.
 */
import type { ModelProto, NodeProto } from '../onnx/index.js';
import type { Feeds } from '../tensor/types.js';
import { QuantizeError } from '../errors/index.js';
import { calibrate, type CalibrationOptions, type Range } from './calibrate.js';
import type { RewriteResult } from './dynamic.js';
import { NameAllocator, removeUnused, scopeOf } from './graph.js';
import { ensureOpset } from './opset.js';
import { rewriteQdq } from './qdq.js';
import { rewriteQOperator } from './qoperator.js';
import { GraphRewriter, type Selection } from './rewrite.js';
import type { SessionFactory } from './runner.js';
import { ActivationParams, planStatic, type StaticContext, type StaticOptions } from './static-plan.js';

export type { StaticOptions } from './static-plan.js';

export interface CalibrationInput extends CalibrationOptions {
  inputs: readonly Feeds[];
  session: SessionFactory;
  onProgress?: (done: number, total: number) => void;
}

/** Calibrates every tensor that quantizing `model` with no exclusions would need. */
export async function calibrateFor(model: ModelProto, sel: Selection, cal: CalibrationInput): Promise<Map<string, Range>> {
  const plan = planStatic(model, { ...sel, exclude: new Set() });
  return calibrate({ model, tensors: plan.tensors, inputs: cal.inputs, session: cal.session, options: cal, onProgress: cal.onProgress });
}

/** Quantizes `model` in place with the given activation ranges (see calibrateFor). */
export function quantizeStatic(model: ModelProto, opts: StaticOptions, ranges: ReadonlyMap<string, Range>): RewriteResult {
  // QDQ's per-channel DequantizeLinear needs the axis attribute of opset 13; QLinear* ops are opset 10.
  const opset = ensureOpset(model, opts.format === 'qdq' && opts.perChannel ? 13 : 10);
  const plan = planStatic(model, opts);
  for (const t of plan.tensors) {
    if (!ranges.has(t)) throw new QuantizeError(`No calibrated range for tensor '${t}'`, { tensor: t });
  }
  const names = new NameAllocator(model);
  const created = new Set<NodeProto>();
  const graph = model.graph!;
  const rw = new GraphRewriter(graph, scopeOf(graph), names, created);
  const ctx: StaticContext = {
    rw,
    scope: rw.scope,
    act: new ActivationParams(rw, ranges, opts),
    plan,
    opts,
    graphOutputs: new Set((graph.output ?? []).map((o) => o.name!)),
  };
  const quantized = opts.format === 'qdq' ? rewriteQdq(ctx) : rewriteQOperator(ctx);
  rw.commit();
  removeUnused(model, created);
  return { quantized, skipped: plan.skipped, opset };
}
