/**
 * QDQ form: every quantized node reads DequantizeLinear outputs (activation,
 * int8 weight, int32 bias) and its activation output passes through
 * QuantizeLinear → DequantizeLinear. All readers of a quantized activation in
 * the graph are rewired to the dequantized value, so ORT can fuse each
 * DQ → op → Q group into one integer kernel.
 */
import { getAttribute, setAttribute } from '../onnx/build.js';
import type { NodeProto } from '../onnx/index.js';
import { floatConstant } from './graph.js';
import { channelAxis, quantizeBias, quantizeWeight } from './params.js';
import { nodeLabel, type NodeReport } from './rewrite.js';
import type { StaticContext } from './static-plan.js';

export function rewriteQdq(ctx: StaticContext): NodeReport[] {
  const { rw, plan, opts } = ctx;
  const produced = new Set<string>();
  for (const node of rw.graph.node ?? []) for (const o of node.output ?? []) produced.add(o);
  const activations = new Set(plan.tensors.filter((t) => !ctx.graphOutputs.has(t)));
  const dequantized = new Map<string, string>();
  const qdq = (t: string) => {
    const p = ctx.act.get(t);
    const [q] = rw.emit('QuantizeLinear', [t, p.scale, p.zeroPoint], `${t}_quantized`);
    const [dq] = rw.emit('DequantizeLinear', [q, p.scale, p.zeroPoint], `${t}_dequantized`);
    dequantized.set(t, dq);
  };
  for (const t of activations) if (!produced.has(t)) qdq(t); // graph inputs and outer values
  const report: NodeReport[] = [];
  for (const node of rw.graph.node ?? []) {
    const x = node.input?.[0] ?? '';
    node.input = (node.input ?? []).map((i) => dequantized.get(i) ?? i);
    const weight = plan.candidates.get(node);
    if (weight) {
      quantizeInputs(ctx, node, x, weight);
      report.push({ node: nodeLabel(node), op: node.opType!, detail: `QDQ ${opts.weightType} ${channelAxis(opts.perChannel, node.opType === 'Conv') >= 0 ? 'per-channel' : 'per-tensor'}` });
    }
    rw.keep(node);
    for (const o of node.output ?? []) if (activations.has(o)) qdq(o);
  }
  return report;
}

/** Replaces the weight (and bias) inputs of `node` with dequantized integer constants. */
function quantizeInputs(ctx: StaticContext, node: NodeProto, x: string, weight: { data: Float32Array; dims: number[]; name: string }): void {
  const { rw, opts } = ctx;
  const isConv = node.opType === 'Conv';
  const axis = channelAxis(opts.perChannel, isConv);
  const q = quantizeWeight(weight.data, weight.dims, opts.weightType, opts.symmetricWeights, axis);
  const channelDims = axis < 0 ? [] : [q.scale.length];
  const wq = rw.constant(`${weight.name}_quantized`, q.type, weight.dims, q.data);
  const ws = rw.constant(`${weight.name}_scale`, 'float32', channelDims, q.scale);
  const wzp = rw.constant(`${weight.name}_zero_point`, q.type, channelDims, channelDims.length ? q.zeroPoint : [q.zeroPoint[0]]);
  const axisAttr = axis < 0 ? {} : { axis };
  const [wdq] = rw.emit('DequantizeLinear', [wq, ws, wzp], `${weight.name}_dequantized`, axisAttr);
  const inputs = [...node.input!];
  inputs[1] = wdq;
  const biasName = inputs[2];
  const bias = biasName ? floatConstant(ctx.scope, biasName) : undefined;
  const beta = node.opType === 'Gemm' ? ((getAttribute(node, 'beta') as number | undefined) ?? 1) : 1;
  if (node.opType === 'Gemm') {
    // weightOf folded alpha and transB into the weight; beta goes into the constant C.
    setAttribute(node, 'transB', undefined);
    setAttribute(node, 'alpha', undefined);
    if (bias) setAttribute(node, 'beta', undefined);
    if (bias && beta !== 1) bias.data = bias.data.map((v) => v * beta);
  }
  // A 1-D bias of one value per output channel becomes int32 at scale x_scale * w_scale.
  if (bias && bias.dims.length === 1 && bias.dims[0] === weight.dims[isConv ? 0 : 1]) {
    const b = quantizeBias(bias.data, ctx.act.get(x).s, q.scale);
    const bq = rw.constant(`${biasName}_quantized`, 'int32', bias.dims, b.data);
    const bs = rw.constant(`${biasName}_scale`, 'float32', channelDims, axis < 0 ? [b.scale[0]] : b.scale);
    // The bias is 1-D, so its channel axis is 0 whatever the weight's is (axis 1 on a
    // rank-1 tensor is invalid: ORT's CPU kernel let it pass, its WebGPU kernel aborted).
    [inputs[2]] = rw.emit('DequantizeLinear', [bq, bs], `${biasName}_dequantized`, axis < 0 ? {} : { axis: 0 });
  } else if (bias && beta !== 1) {
    inputs[2] = rw.constant(`${biasName}_scaled`, 'float32', bias.dims, bias.data);
  }
  node.input = inputs;
}
