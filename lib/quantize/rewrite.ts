/**
 * What the dynamic and static rewrites share: a per-graph context that adds
 * initializers and nodes, picks the nodes to quantize, and records why others were skipped.
 */
import { makeTensor, type GraphProto, type NodeProto } from '../onnx/index.js';
import { getAttribute, makeNode, type AttrValue } from '../onnx/build.js';
import type { TensorType } from '../tensor/types.js';
import { floatConstant, type NameAllocator, type Scope } from './graph.js';

export interface NodeReport {
  /** Node name, or its first output when the node is unnamed. */
  node: string;
  op: string;
  /** What it became (e.g. 'MatMulInteger', 'QDQ', 'QLinearConv'), or why it stayed float. */
  detail: string;
}

export class GraphRewriter {
  readonly nodes: NodeProto[] = [];

  constructor(
    readonly graph: GraphProto,
    readonly scope: Scope,
    readonly names: NameAllocator,
    readonly created: Set<NodeProto>,
  ) {}

  /** Adds an initializer with a fresh name derived from `base`; returns the name. */
  constant(base: string, type: TensorType, dims: readonly number[], data: ArrayLike<number> | ArrayLike<bigint>): string {
    const name = this.names.unique(base);
    const t = makeTensor(name, type, dims, data);
    (this.graph.initializer ??= []).push(t);
    this.scope.constants.set(name, t);
    return name;
  }

  /** Appends a new node; returns its first output name (fresh unless `outputs` are given). */
  emit(op: string, inputs: string[], base: string, attrs: Record<string, AttrValue | undefined> = {}, outputs?: string[]): string[] {
    const outs = outputs ?? [this.names.unique(base)];
    const node = makeNode(op, inputs, outs, attrs, this.names.unique(`${base}_node`));
    this.created.add(node);
    this.nodes.push(node);
    return outs;
  }

  keep(node: NodeProto): void {
    this.nodes.push(node);
  }

  /** Replaces the graph's node list with what was emitted. */
  commit(): void {
    this.graph.node = this.nodes;
  }
}

export const nodeLabel = (n: NodeProto): string => n.name || n.output?.[0] || n.opType!;

export interface Candidate {
  node: NodeProto;
  /** Float weight, already in the layout the rewrite wants (see `weightOf`). */
  weight: { data: Float32Array; dims: number[]; name: string };
}

/**
 * The constant weight of a quantizable node, or why there is none. MatMul and
 * Gemm weights come back as [K, N] (Gemm's transB and alpha folded in).
 */
export function weightOf(node: NodeProto, scope: Scope): Candidate['weight'] | string {
  const op = node.opType!;
  const name = node.input?.[1] ?? '';
  const w = floatConstant(scope, name);
  if (!w) return 'weight is not a float32 constant';
  if (op === 'Conv') {
    if (w.dims.length < 3) return `Conv weight has rank ${w.dims.length}`;
    return { ...w, name };
  }
  if (w.dims.length !== 2) return `weight has rank ${w.dims.length}, only 2-D weights are quantized`;
  if (op === 'MatMul') return { ...w, name };
  // Gemm: fold alpha and transB so the weight is always [K, N].
  const alpha = (getAttribute(node, 'alpha') as number | undefined) ?? 1;
  const transB = getAttribute(node, 'transB') === 1;
  const [r, c] = w.dims;
  const data = new Float32Array(w.data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[transB ? j * r + i : i * c + j] = w.data[i * c + j] * alpha;
  return { data, dims: transB ? [c, r] : [r, c], name };
}

/** The attributes of Conv that ConvInteger/QLinearConv share. */
export function convAttributes(node: NodeProto): Record<string, AttrValue | undefined> {
  const attrs: Record<string, AttrValue | undefined> = {};
  for (const key of ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']) attrs[key] = getAttribute(node, key) as AttrValue | undefined;
  return attrs;
}

export interface Selection {
  opTypes: readonly string[];
  /** Node names (or first output names) to leave in float. */
  exclude: ReadonlySet<string>;
}

/** Why `node` is not quantized, or undefined when it should be. */
export function skipReason(node: NodeProto, sel: Selection): string | undefined {
  if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') return 'custom domain';
  if (!sel.opTypes.includes(node.opType!)) return 'op type not selected';
  if (sel.exclude.has(nodeLabel(node)) || sel.exclude.has(node.output?.[0] ?? '')) return 'excluded by option';
  if (node.opType === 'Gemm' && getAttribute(node, 'transA') === 1) return 'Gemm with transA=1';
  return undefined;
}
