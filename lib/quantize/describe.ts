/** What `pageinfer inspect` shows: ops, weight bytes by element type, quantized or not, I/O. */
import { readTensor, summarize, tensorTypeOf, type ModelProto, type ModelSummary } from '../onnx/index.js';
import { walkGraphs, constantNodeTensor } from './graph.js';

const quantOps = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv']);

export interface ModelDescription extends ModelSummary {
  size: number;
  /** Bytes of constant tensors (initializers and Constant nodes) per element type. */
  weightBytes: Record<string, number>;
  quantized: boolean;
  /** 'dynamic', 'qoperator', 'qdq', 'weight-only' (DequantizeLinear on weights only), or 'float'. */
  format: string;
}

export function describeModel(model: ModelProto, size: number): ModelDescription {
  const summary = summarize(model);
  const weightBytes: Record<string, number> = {};
  walkGraphs(model.graph!, (g) => {
    const tensors = [...(g.initializer ?? []), ...(g.node ?? []).filter((n) => n.opType === 'Constant').map(constantNodeTensor)];
    for (const t of tensors) {
      if (!t) continue;
      const type = tensorTypeOf(t.dataType ?? 0);
      let bytes = t.rawData?.byteLength ?? 0;
      if (!bytes && type !== 'unknown' && type !== 'string') bytes = readTensor(t).data.byteLength;
      weightBytes[type] = (weightBytes[type] ?? 0) + bytes;
    }
  });
  const ops = Object.keys(summary.ops);
  const has = (op: string) => ops.includes(op);
  // Weight-only in the 'cast' form has no quantization op: int8 constants read by a Cast.
  const castWeights = !ops.some((op) => quantOps.has(op)) && has('Cast') && (weightBytes.int8 ?? 0) + (weightBytes.uint8 ?? 0) > 0;
  const quantized = castWeights || ops.some((op) => quantOps.has(op));
  const format = !quantized
    ? 'float'
    : castWeights
      ? 'weight-only'
    : has('DynamicQuantizeLinear')
      ? 'dynamic'
      : has('QLinearConv') || has('QLinearMatMul')
        ? 'qoperator'
        : has('QuantizeLinear') || has('MatMulInteger') || has('ConvInteger')
          ? 'qdq'
          : 'weight-only';
  return { ...summary, size, weightBytes, quantized, format };
}
