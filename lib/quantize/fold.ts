/**
 * Folds BatchNormalization into the Conv before it, before quantizing:
 *   W' = W · γ/√(var+ε) per output channel,  b' = (b − mean) · γ/√(var+ε) + β.
 * Why: the Conv's weight then carries the BN scale, so per-channel weight scales see the
 * weights the model really uses; the BN's four float vectors leave the file (they were
 * the float bytes that kept small convnets under 2.5× smaller); and one float op per
 * Conv goes away at run time. Exact in float up to rounding (inference-mode BN).
 * Only when the Conv's output feeds that BN alone, every parameter is a float constant,
 * and the BN has a single output (training-mode BN has five).
 */
import { makeTensor, type ModelProto, type NodeProto } from '../onnx/index.js';
import { getAttribute } from '../onnx/build.js';
import { floatConstant, removeUnused, walkGraphs, NameAllocator } from './graph.js';

export interface FoldReport {
  /** "conv ← bn" per fold. */
  folded: string[];
}

export function foldBatchNorm(model: ModelProto): FoldReport {
  const folded: string[] = [];
  const names = new NameAllocator(model);
  walkGraphs(model.graph!, (graph, scope) => {
    const nodes = graph.node ?? [];
    const readers = new Map<string, number>();
    for (const n of nodes) for (const i of n.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
    for (const o of graph.output ?? []) readers.set(o.name!, (readers.get(o.name!) ?? 0) + 1);
    const producer = new Map<string, NodeProto>();
    for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
    const drop = new Set<NodeProto>();
    for (const bn of nodes) {
      if (bn.opType !== 'BatchNormalization' || (bn.domain ?? '') !== '' || (bn.output ?? []).filter(Boolean).length !== 1) continue;
      const conv = producer.get(bn.input![0]);
      if (!conv || conv.opType !== 'Conv' || (conv.domain ?? '') !== '' || readers.get(conv.output![0]) !== 1) continue;
      const w = floatConstant(scope, conv.input![1] ?? '');
      const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((k) => floatConstant(scope, bn.input![k] ?? ''));
      if (!w || !gamma || !beta || !mean || !variance) continue;
      const m = w.dims[0];
      if ([gamma, beta, mean, variance].some((p) => p.data.length !== m)) continue;
      const b = conv.input![2] ? floatConstant(scope, conv.input![2]) : undefined;
      if (conv.input![2] && !b) continue;
      const eps = (getAttribute(bn, 'epsilon') as number | undefined) ?? 1e-5;
      const per = w.data.length / m;
      const wf = new Float32Array(w.data.length);
      const bf = new Float32Array(m);
      for (let c = 0; c < m; c++) {
        const k = gamma.data[c] / Math.sqrt(variance.data[c] + eps);
        for (let i = 0; i < per; i++) wf[c * per + i] = w.data[c * per + i] * k;
        bf[c] = ((b?.data[c] ?? 0) - mean.data[c]) * k + beta.data[c];
      }
      const label = conv.name || conv.output![0];
      const wName = names.unique(`${label}_folded_weight`);
      const bName = names.unique(`${label}_folded_bias`);
      (graph.initializer ??= []).push(makeTensor(wName, 'float32', w.dims, wf), makeTensor(bName, 'float32', [m], bf));
      scope.constants.set(wName, graph.initializer[graph.initializer.length - 2]);
      scope.constants.set(bName, graph.initializer[graph.initializer.length - 1]);
      conv.input = [conv.input![0], wName, bName];
      conv.output = [bn.output![0]];
      drop.add(bn);
      folded.push(`${label} ← ${bn.name || bn.output![0]}`);
    }
    if (drop.size) graph.node = nodes.filter((n) => !drop.has(n));
  });
  // The old weights, biases and BN vectors (initializers or Constant nodes) nobody reads now.
  if (folded.length) removeUnused(model, new Set());
  return { folded };
}
