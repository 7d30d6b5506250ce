/**
 * Dynamic quantization: weights become int8/uint8 constants; activations are
 * quantized at run time by DynamicQuantizeLinear (uint8, per tensor).
 *   MatMul/Gemm → DynamicQuantizeLinear + MatMulInteger → Cast → Mul(scale) [+ Add(bias)]
 *   Conv        → DynamicQuantizeLinear + ConvInteger  → Cast → Mul(scale) [+ Add(bias)]
 * ORT's ConvInteger accepts uint8 or int8 weights but only a scalar weight zero
 * point, so per-channel Conv weights are always symmetric (one shared zp).
 */
import type { ModelProto, NodeProto } from '../onnx/index.js';
import { getAttribute } from '../onnx/build.js';
import { NameAllocator, floatConstant, removeUnused, walkGraphs } from './graph.js';
import { ensureOpset } from './opset.js';
import { channelAxis, quantizeWeight, type PerChannel, type QType } from './params.js';
import { GraphRewriter, convAttributes, nodeLabel, skipReason, weightOf, type NodeReport, type Selection } from './rewrite.js';

export interface DynamicOptions extends Selection {
  weightType: QType;
  perChannel: PerChannel;
  /** Asymmetric weights use the full 8-bit range; ignored for per-channel Conv (see above). */
  symmetric: boolean;
}

export interface RewriteResult {
  quantized: NodeReport[];
  skipped: NodeReport[];
  opset: { from: number; to: number };
}

export function quantizeDynamic(model: ModelProto, opts: DynamicOptions): RewriteResult {
  const opset = ensureOpset(model, 11); // DynamicQuantizeLinear is opset 11
  const names = new NameAllocator(model);
  const created = new Set<NodeProto>();
  const quantized: NodeReport[] = [];
  const skipped: NodeReport[] = [];
  walkGraphs(model.graph!, (graph, scope) => {
    const rw = new GraphRewriter(graph, scope, names, created);
    const dql = new Map<string, string[]>(); // activation → [q, scale, zp], shared by its consumers
    for (const node of graph.node ?? []) {
      const op = node.opType!;
      const why = skipReason(node, opts);
      const weight = why ? why : gemmBiasProblem(node, scope) ?? weightOf(node, scope);
      if (typeof weight === 'string') {
        rw.keep(node);
        if (opts.opTypes.includes(op)) skipped.push({ node: nodeLabel(node), op, detail: weight });
        continue;
      }
      const base = nodeLabel(node);
      const x = node.input![0];
      let xq = dql.get(x);
      if (!xq) {
        xq = rw.emit('DynamicQuantizeLinear', [x], `${x}_dq`, {}, [names.unique(`${x}_quantized`), names.unique(`${x}_scale`), names.unique(`${x}_zero_point`)]);
        dql.set(x, xq);
      }
      const isConv = op === 'Conv';
      const axis = channelAxis(opts.perChannel, isConv);
      const symmetric = opts.symmetric || (isConv && axis >= 0);
      const q = quantizeWeight(weight.data, weight.dims, opts.weightType, symmetric, axis);
      const wq = rw.constant(`${weight.name}_quantized`, q.type, weight.dims, q.data);
      const zpNeeded = q.zeroPoint.some((z) => z !== 0);
      const zpDims = axis >= 0 && !isConv ? [q.zeroPoint.length] : [];
      const wzp = zpNeeded ? rw.constant(`${weight.name}_zero_point`, q.type, zpDims, zpDims.length ? q.zeroPoint : [q.zeroPoint[0]]) : '';
      // Per-channel Conv scale is [M, 1, ..., 1] so it broadcasts over N, M, spatial dims.
      const scaleDims = axis < 0 ? [] : isConv ? [q.scale.length, ...weight.dims.slice(2).map(() => 1)] : [q.scale.length];
      const wScale = rw.constant(`${weight.name}_scale`, 'float32', scaleDims, q.scale);
      const inputs = [xq[0], wq, xq[2], wzp];
      while (inputs[inputs.length - 1] === '') inputs.pop();
      const [acc] = isConv
        ? rw.emit('ConvInteger', inputs, `${base}_int32`, convAttributes(node))
        : rw.emit('MatMulInteger', inputs, `${base}_int32`);
      const [accF] = rw.emit('Cast', [acc], `${base}_float`, { to: 1 });
      const [scale] = rw.emit('Mul', [xq[1], wScale], `${base}_scale`);
      const bias = biasInput(node, scope);
      const y = node.output![0];
      if (!bias) {
        rw.emit('Mul', [accF, scale], `${base}_scaled`, {}, [y]);
      } else {
        const [scaled] = rw.emit('Mul', [accF, scale], `${base}_scaled`);
        const b = bias.constant ? rw.constant(`${base}_bias`, 'float32', isConv ? [bias.constant.length, ...weight.dims.slice(2).map(() => 1)] : bias.dims, bias.constant) : bias.name;
        rw.emit('Add', [scaled, b], `${base}_biased`, {}, [y]);
      }
      quantized.push({ node: base, op, detail: `${isConv ? 'ConvInteger' : 'MatMulInteger'} ${q.type} ${axis < 0 ? 'per-tensor' : 'per-channel'}` });
    }
    rw.commit();
  });
  removeUnused(model, created);
  return { quantized, skipped, opset };

  /** Conv's B or Gemm's C (times beta), as a constant when it is one. */
  function biasInput(node: NodeProto, scope: Parameters<typeof floatConstant>[0]): { name: string; constant?: Float32Array; dims: number[] } | undefined {
    const name = node.input?.[2];
    if (!name) return undefined;
    const beta = node.opType === 'Gemm' ? ((getAttribute(node, 'beta') as number | undefined) ?? 1) : 1;
    const c = floatConstant(scope, name);
    if (c) return { name, constant: c.data.map((v) => v * beta), dims: c.dims };
    return { name, dims: [] };
  }
}

/** Gemm's C is added as is, so a non-constant C must not need scaling by beta. */
export function gemmBiasProblem(node: NodeProto, scope: Parameters<typeof floatConstant>[0]): string | undefined {
  if (node.opType !== 'Gemm' || !node.input?.[2]) return undefined;
  const beta = (getAttribute(node, 'beta') as number | undefined) ?? 1;
  return beta !== 1 && !floatConstant(scope, node.input[2]) ? 'Gemm with non-constant C and beta != 1' : undefined;
}
