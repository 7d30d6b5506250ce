/**
 * QOperator form: Conv → QLinearConv, MatMul/Gemm → QLinearMatMul. A node's
 * quantized output feeds the next QLinear node directly; a DequantizeLinear
 * restores the float tensor under its original name for any float readers
 * (and is dropped when there are none).
 */
import { getAttribute } from '../onnx/build.js';
import type { NodeProto } from '../onnx/index.js';
import { floatConstant } from './graph.js';
import { channelAxis, quantizeBias, quantizeWeight } from './params.js';
import { convAttributes, nodeLabel, type NodeReport } from './rewrite.js';
import type { StaticContext } from './static-plan.js';

interface Quantized {
  q: string;
  scale: string;
  zeroPoint: string;
  s: number;
}

export function rewriteQOperator(ctx: StaticContext): NodeReport[] {
  const { rw, plan, opts } = ctx;
  const quantizedForm = new Map<string, Quantized>();
  const quantize = (t: string): Quantized => {
    let f = quantizedForm.get(t);
    if (!f) {
      const p = ctx.act.get(t);
      const [q] = rw.emit('QuantizeLinear', [t, p.scale, p.zeroPoint], `${t}_quantized`);
      f = { q, scale: p.scale, zeroPoint: p.zeroPoint, s: p.s };
      quantizedForm.set(t, f);
    }
    return f;
  };
  const report: NodeReport[] = [];
  for (const node of rw.graph.node ?? []) {
    const weight = plan.candidates.get(node);
    if (!weight) {
      rw.keep(node);
      continue;
    }
    const base = nodeLabel(node);
    const isConv = node.opType === 'Conv';
    const [xName, , biasName] = node.input!;
    const y = node.output![0];
    const x = quantize(xName);
    const axis = channelAxis(opts.perChannel, isConv);
    const q = quantizeWeight(weight.data, weight.dims, opts.weightType, opts.symmetricWeights, axis);
    const channelDims = axis < 0 ? [] : [q.scale.length];
    const wq = rw.constant(`${weight.name}_quantized`, q.type, weight.dims, q.data);
    const ws = rw.constant(`${weight.name}_scale`, 'float32', channelDims, q.scale);
    const wzp = rw.constant(`${weight.name}_zero_point`, q.type, channelDims, channelDims.length ? q.zeroPoint : [q.zeroPoint[0]]);
    const bias = biasName ? floatConstant(ctx.scope, biasName) : undefined;
    if (isConv) {
      const out = ctx.act.get(y);
      const inputs = [x.q, x.scale, x.zeroPoint, wq, ws, wzp, out.scale, out.zeroPoint];
      if (bias) inputs.push(rw.constant(`${biasName}_quantized`, 'int32', bias.dims, quantizeBias(bias.data, x.s, q.scale).data));
      const [yq] = rw.emit('QLinearConv', inputs, `${y}_quantized`, convAttributes(node));
      quantizedForm.set(y, { q: yq, scale: out.scale, zeroPoint: out.zeroPoint, s: out.s });
      rw.emit('DequantizeLinear', [yq, out.scale, out.zeroPoint], `${y}_dequantized`, {}, [y]);
    } else if (!biasName) {
      const out = ctx.act.get(y);
      const [yq] = rw.emit('QLinearMatMul', [x.q, x.scale, x.zeroPoint, wq, ws, wzp, out.scale, out.zeroPoint], `${y}_quantized`);
      quantizedForm.set(y, { q: yq, scale: out.scale, zeroPoint: out.zeroPoint, s: out.s });
      rw.emit('DequantizeLinear', [yq, out.scale, out.zeroPoint], `${y}_dequantized`, {}, [y]);
    } else {
      // Gemm with C: QLinearMatMul has no bias, so add C in float. The product's
      // range is the output's range widened by the largest |C| (beta applied).
      // (planStatic already refused a non-constant C with beta != 1.)
      const beta = gemmBeta(node);
      const c = bias ? rw.constant(`${biasName}_scaled`, 'float32', bias.dims, bias.data.map((v) => v * beta)) : biasName;
      const widen = bias ? bias.data.reduce((m, v) => Math.max(m, Math.abs(v * beta)), 0) : 0;
      const out = ctx.act.get(y, widen);
      const [yq] = rw.emit('QLinearMatMul', [x.q, x.scale, x.zeroPoint, wq, ws, wzp, out.scale, out.zeroPoint], `${base}_product_quantized`);
      const [prod] = rw.emit('DequantizeLinear', [yq, out.scale, out.zeroPoint], `${base}_product`);
      rw.emit('Add', [prod, c], `${base}_biased`, {}, [y]);
    }
    report.push({ node: base, op: node.opType!, detail: `${isConv ? 'QLinearConv' : 'QLinearMatMul'} ${opts.weightType} ${axis < 0 ? 'per-tensor' : 'per-channel'}` });
  }
  return report;
}

function gemmBeta(node: NodeProto): number {
  return (getAttribute(node, 'beta') as number | undefined) ?? 1;
}
