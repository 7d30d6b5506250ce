/**
 * Weight-only quantization: the node's weight is stored as int8/uint8 and a
 * DequantizeLinear restores it when the session is built; the node itself, and
 * the activations around it, stay float. The file is as small as full int8 for
 * that weight, the math is float. Useful for nodes whose *activations* do not
 * quantize well: depthwise convolutions, whose channels have very different
 * ranges that one per-tensor activation scale cannot serve.
 *   Conv   : W → DequantizeLinear(W_q, scale, zp, axis 0) → Conv
 *   MatMul : B → DequantizeLinear(B_q, scale, zp, axis 1) → MatMul
 *   Gemm   : B (transB and alpha folded in, as [K, N]) → DequantizeLinear(axis 1) → Gemm
 * Per-channel DequantizeLinear needs opset 13; per-tensor needs 10.
 * Form 'cast' writes Cast(W_q) · scale instead (any opset): ORT constant-folds it into a
 * float weight when the session is created, so it runs at exactly float speed on wasm;
 * DequantizeLinear on a weight is kept by ORT and executed on every run.
 */
import { setAttribute } from '../onnx/build.js';
import type { ModelProto, NodeProto } from '../onnx/index.js';
import { NameAllocator, removeUnused, walkGraphs } from './graph.js';
import { defaultOpset } from './opset.js';
import { channelAxis, quantizeWeight, type PerChannel, type QType } from './params.js';
import { GraphRewriter, nodeLabel, weightOf, type NodeReport } from './rewrite.js';

export interface WeightOnlyOptions {
  /** Node names (or first output names). */
  nodes: ReadonlySet<string>;
  weightType: QType;
  perChannel: PerChannel;
  symmetric: boolean;
  /** 'dequantize' (DequantizeLinear; falls back to 'cast' when the opset is too low) or 'cast' (Cast·scale). */
  form?: WeightOnlyForm;
}

export type WeightOnlyForm = 'dequantize' | 'cast';

export const weightOnlyOps = ['Conv', 'MatMul', 'Gemm'];

/** Every node (all graphs) of `opTypes` with a constant float weight, minus `exclude`: what mode 'weight-only' rewrites. */
export function weightCandidates(model: ModelProto, opTypes: readonly string[], exclude: readonly string[]): string[] {
  const skip = new Set(exclude);
  const out: string[] = [];
  walkGraphs(model.graph!, (graph, scope) => {
    for (const node of graph.node ?? []) {
      if (!opTypes.includes(node.opType!) || !weightOnlyOps.includes(node.opType!)) continue;
      if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') continue;
      if (skip.has(nodeLabel(node)) || skip.has(node.output?.[0] ?? '')) continue;
      if (typeof weightOf(node, scope) !== 'string') out.push(nodeLabel(node));
    }
  });
  return out;
}

/** The opset weight-only DequantizeLinear needs. */
export const weightOnlyOpset = (perChannel: PerChannel) => (perChannel ? 13 : 10);

/** Rewrites the named nodes in place (the opset must already be high enough); returns what it did. */
export function quantizeWeightsOnly(model: ModelProto, opts: WeightOnlyOptions): { done: NodeReport[]; skipped: NodeReport[] } {
  const done: NodeReport[] = [];
  const skipped: NodeReport[] = [];
  if (opts.nodes.size === 0) return { done, skipped };
  const names = new NameAllocator(model);
  const created = new Set<NodeProto>();
  const opset = defaultOpset(model);
  const seen = new Set<string>();
  walkGraphs(model.graph!, (graph, scope) => {
    const rw = new GraphRewriter(graph, scope, names, created);
    for (const node of graph.node ?? []) {
      const label = nodeLabel(node);
      const op = node.opType!;
      if (opts.nodes.has(label) || opts.nodes.has(node.output?.[0] ?? '')) {
        seen.add(label).add(node.output?.[0] ?? '');
        const weight = !weightOnlyOps.includes(op) || ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') ? `${op} has no weight to quantize` : weightOf(node, scope);
        if (typeof weight === 'string') {
          skipped.push({ node: label, op, detail: `weight-only: ${weight}` });
        } else {
          rewire(rw, node, weight, opts, opset); // emits the DequantizeLinear before the node
          done.push({ node: label, op, detail: `weight-only ${opts.weightType} ${channelAxis(opts.perChannel, op === 'Conv') >= 0 ? 'per-channel' : 'per-tensor'} (float math)` });
        }
      }
      rw.keep(node);
    }
    rw.commit();
  });
  removeUnused(model, created);
  for (const n of opts.nodes) if (!seen.has(n)) skipped.push({ node: n, op: '', detail: 'weight-only: no node of that name or first output' });
  return { done, skipped };
}

function rewire(rw: GraphRewriter, node: NodeProto, weight: { data: Float32Array; dims: number[]; name: string }, opts: WeightOnlyOptions, opset: number): void {
  const isConv = node.opType === 'Conv';
  const axis = channelAxis(opts.perChannel, isConv);
  const q = quantizeWeight(weight.data, weight.dims, opts.weightType, opts.symmetric, axis);
  const channelDims = axis < 0 ? [] : [q.scale.length];
  const wq = rw.constant(`${weight.name}_quantized`, q.type, weight.dims, q.data);
  let wdq: string;
  if (opts.form !== 'cast' && opset >= weightOnlyOpset(axis >= 0)) {
    const ws = rw.constant(`${weight.name}_scale`, 'float32', channelDims, q.scale);
    const wzp = rw.constant(`${weight.name}_zero_point`, q.type, channelDims, channelDims.length ? q.zeroPoint : [q.zeroPoint[0]]);
    [wdq] = rw.emit('DequantizeLinear', [wq, ws, wzp], `${weight.name}_dequantized`, axis < 0 ? {} : { axis });
  } else {
    // (float(q) − zp) · scale, the scale shaped to broadcast along the axis: needs no opset,
    // and ORT's constant folding turns it into a float initializer at session creation (it
    // leaves DequantizeLinear alone, for its QDQ fusions, and runs it on every call:
    // measured 1.25× slower than float at batch 1 on the MNIST CNN).
    const bdims = weight.dims.map((d, i) => (i === axis ? d : 1));
    const ws = rw.constant(`${weight.name}_scale`, 'float32', axis < 0 ? [] : bdims, q.scale);
    let [wf] = rw.emit('Cast', [wq], `${weight.name}_float`, { to: 1 });
    if (q.zeroPoint.some((z) => z !== 0)) {
      const zp = rw.constant(`${weight.name}_zero_point`, 'float32', axis < 0 ? [] : bdims, Float32Array.from(q.zeroPoint));
      [wf] = rw.emit('Sub', [wf, zp], `${weight.name}_centred`);
    }
    [wdq] = rw.emit('Mul', [wf, ws], `${weight.name}_dequantized`);
  }
  const inputs = [...node.input!];
  inputs[1] = wdq;
  node.input = inputs;
  if (node.opType === 'Gemm') {
    // weightOf folded transB and alpha into the [K, N] weight.
    setAttribute(node, 'transB', undefined);
    setAttribute(node, 'alpha', undefined);
  }
}
