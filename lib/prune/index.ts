/**
 * Magnitude pruning: zero the smallest weights of Conv/MatMul/Gemm (in
 * initializers or Constant nodes, subgraphs included) to a target sparsity,
 * either with one threshold across all layers ('global') or layer by layer.
 * Zeros do not shrink the raw file, but they compress (gzip, which is how
 * models usually travel) and quantize to exact zeros.
 */
import { decodeModel, encodeModel, makeTensor, readTensor, type ModelProto, type TensorProto } from '../onnx/index.js';
import { findConstant, walkGraphs } from '../quantize/graph.js';
import { QuantizeError } from '../errors/index.js';
import { validateModel } from '../quantize/validate.js';

export interface PruneOptions {
  /** Share of weights to zero, in [0, 1). */
  sparsity: number;
  scope?: 'global' | 'layer';
  opTypes?: readonly string[];
  /** Node names (or first outputs) whose weights stay untouched. */
  exclude?: readonly string[];
  /** Weights with fewer elements are left alone (first/last layers are often tiny and sensitive). */
  minElements?: number;
  /** Scores a model, higher is better (e.g. accuracy); reported before and after. */
  evaluate?: (bytes: Uint8Array) => Promise<number>;
}

export interface LayerReport {
  node: string;
  weight: string;
  elements: number;
  sparsity: number;
}

export interface PruneReport {
  layers: LayerReport[];
  /** Zeros over all pruned-eligible weights. */
  sparsity: number;
  sizeBefore: number;
  sizeAfter: number;
  gzipBefore: number;
  gzipAfter: number;
  metricBefore?: number;
  metricAfter?: number;
}

/** Gzip size via CompressionStream, which Node 18+ and browsers both provide. */
export async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

interface Target {
  node: string;
  tensor: TensorProto;
  data: Float32Array;
}

function collectWeights(model: ModelProto, opts: PruneOptions): Target[] {
  const opTypes = opts.opTypes ?? ['Conv', 'MatMul', 'Gemm'];
  const exclude = new Set(opts.exclude ?? []);
  const seen = new Set<TensorProto>();
  const targets: Target[] = [];
  walkGraphs(model.graph!, (g, scope) => {
    for (const node of g.node ?? []) {
      const label = node.name || node.output?.[0] || '';
      if (!opTypes.includes(node.opType!) || exclude.has(label) || exclude.has(node.output?.[0] ?? '')) continue;
      const tensor = findConstant(scope, node.input?.[1] ?? '');
      if (!tensor || tensor.dataType !== 1 || seen.has(tensor)) continue;
      const { data } = readTensor(tensor);
      if (data.length < (opts.minElements ?? 0)) continue;
      seen.add(tensor);
      targets.push({ node: label, tensor, data: data as Float32Array });
    }
  });
  return targets;
}

/** The magnitude below which `share` of `values` lies. */
function threshold(values: Float32Array, share: number): number {
  const k = Math.floor(values.length * share);
  if (k <= 0) return -1;
  const mags = values.map(Math.abs).sort();
  return mags[k - 1];
}

/** Zeros weights with |w| <= t, but no more than `budget` of those exactly equal to t (ties). */
function zeroBelow(data: Float32Array, t: number, budget: number): number {
  let ties = 0;
  for (let i = 0; i < data.length; i++) {
    const m = Math.abs(data[i]);
    if (m < t) data[i] = 0;
    else if (m === t && ties < budget) {
      data[i] = 0;
      ties++;
    }
  }
  return ties;
}

export async function prune(input: Uint8Array | ModelProto, options: PruneOptions): Promise<{ bytes: Uint8Array; model: ModelProto; report: PruneReport }> {
  const { sparsity } = options;
  if (!(sparsity >= 0 && sparsity < 1)) throw new QuantizeError(`Sparsity must be in [0, 1), got ${sparsity}`, { sparsity });
  const source = input instanceof Uint8Array ? input : encodeModel(input);
  const model = decodeModel(source);
  validateModel(model);
  const targets = collectWeights(model, options);
  if (targets.length === 0) throw new QuantizeError('No prunable float weights found (Conv/MatMul/Gemm with constant weights)', {});
  if ((options.scope ?? 'global') === 'global') {
    const all = new Float32Array(targets.reduce((n, t) => n + t.data.length, 0));
    let off = 0;
    for (const t of targets) {
      all.set(t.data, off);
      off += t.data.length;
    }
    const k = Math.floor(all.length * sparsity);
    const t = threshold(all, sparsity);
    const below = all.reduce((n, v) => n + (Math.abs(v) < t ? 1 : 0), 0);
    let ties = k - below;
    for (const target of targets) ties -= zeroBelow(target.data, t, ties);
  } else {
    for (const target of targets) {
      const t = threshold(target.data, sparsity);
      const k = Math.floor(target.data.length * sparsity);
      const below = target.data.reduce((n, v) => n + (Math.abs(v) < t ? 1 : 0), 0);
      zeroBelow(target.data, t, k - below);
    }
  }
  let zeros = 0;
  let total = 0;
  const layers = targets.map((target) => {
    const z = target.data.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
    zeros += z;
    total += target.data.length;
    // Rewrite the tensor in place as raw data (it may sit in an initializer or a Constant node).
    const fresh = makeTensor(target.tensor.name ?? '', 'float32', readTensor(target.tensor).dims, target.data);
    target.tensor.rawData = fresh.rawData;
    target.tensor.floatData = [];
    return { node: target.node, weight: target.tensor.name ?? '', elements: target.data.length, sparsity: z / target.data.length };
  });
  const bytes = encodeModel(model);
  const report: PruneReport = {
    layers,
    sparsity: zeros / total,
    sizeBefore: source.byteLength,
    sizeAfter: bytes.byteLength,
    gzipBefore: await gzipSize(source),
    gzipAfter: await gzipSize(bytes),
  };
  if (options.evaluate) {
    report.metricBefore = await options.evaluate(source);
    report.metricAfter = await options.evaluate(bytes);
  }
  return { bytes, model, report };
}
