/**
 * Graph plumbing for the rewrites: constant lookup (initializers and Constant
 * nodes, with outer scopes visible inside If/Loop bodies), unique names, and
 * removal of what a rewrite left unused.
 */
import { onnx, readTensor, toNumber, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../onnx/index.js';
import { makeTensor } from '../onnx/index.js';

export interface Scope {
  constants: Map<string, TensorProto>;
  parent?: Scope;
}

/** The tensor a Constant node holds, or undefined for sparse/non-tensor forms we do not quantize. */
export function constantNodeTensor(node: NodeProto): TensorProto | undefined {
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.t) return a.t;
    if (a.name === 'value_float') return makeTensor('', 'float32', [], [a.f ?? 0]);
    if (a.name === 'value_floats') return makeTensor('', 'float32', [a.floats?.length ?? 0], a.floats ?? []);
    if (a.name === 'value_int') return makeTensor('', 'int64', [], [BigInt(toNumber(a.i))]);
    if (a.name === 'value_ints') return makeTensor('', 'int64', [a.ints?.length ?? 0], (a.ints ?? []).map((v) => BigInt(toNumber(v))));
  }
  return undefined;
}

export function scopeOf(graph: GraphProto, parent?: Scope): Scope {
  const constants = new Map<string, TensorProto>();
  for (const t of graph.initializer ?? []) constants.set(t.name!, t);
  for (const node of graph.node ?? []) {
    if (node.opType !== 'Constant' || (node.domain ?? '') !== '') continue;
    const t = constantNodeTensor(node);
    if (t) constants.set(node.output![0], t);
  }
  return { constants, parent };
}

export function findConstant(scope: Scope | undefined, name: string): TensorProto | undefined {
  for (let s = scope; s; s = s.parent) {
    const t = s.constants.get(name);
    if (t) return t;
  }
  return undefined;
}

/** A float32 constant's values and dims, or undefined when `name` is not a float constant. */
export function floatConstant(scope: Scope, name: string): { data: Float32Array; dims: number[] } | undefined {
  const t = findConstant(scope, name);
  if (!t || t.dataType !== onnx.TensorProto.DataType.FLOAT) return undefined;
  const { data, dims } = readTensor(t);
  return { data: data as Float32Array, dims };
}

/** Visits every graph with its scope, outer graphs first (subgraphs see outer constants). */
export function walkGraphs(graph: GraphProto, visit: (g: GraphProto, scope: Scope) => void, parent?: Scope): void {
  const scope = scopeOf(graph, parent);
  visit(graph, scope);
  for (const node of graph.node ?? []) {
    for (const attr of node.attribute ?? []) {
      if (attr.g) walkGraphs(attr.g, visit, scope);
      for (const g of attr.graphs ?? []) walkGraphs(g, visit, scope);
    }
  }
}

/** Hands out tensor/node names not yet used anywhere in the model. */
export class NameAllocator {
  private readonly used = new Set<string>();

  constructor(model: ModelProto) {
    walkGraphs(model.graph!, (g) => {
      for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) this.used.add(v.name!);
      for (const t of g.initializer ?? []) this.used.add(t.name!);
      for (const n of g.node ?? []) {
        for (const o of n.output ?? []) this.used.add(o);
        if (n.name) this.used.add(n.name);
      }
    });
  }

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** Ops that may be dropped when nothing reads their outputs: only ones the rewrites create or orphan. */
const removable = new Set(['Constant', 'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'Cast', 'Mul', 'Transpose', 'Reshape']);

/**
 * Removes initializers and nodes (of the ops above) whose outputs nobody reads,
 * repeatedly, across all graphs. Only nodes in `createdNodes` (and Constants) may go,
 * so the model's own dead code is left as it was.
 */
export function removeUnused(model: ModelProto, createdNodes: ReadonlySet<NodeProto>): void {
  for (;;) {
    const read = new Set<string>();
    walkGraphs(model.graph!, (g) => {
      for (const n of g.node ?? []) for (const i of n.input ?? []) read.add(i);
      for (const o of g.output ?? []) read.add(o.name!);
    });
    let changed = false;
    walkGraphs(model.graph!, (g) => {
      const nodes = (g.node ?? []).filter((n) => {
        const dead = (n.opType === 'Constant' || (createdNodes.has(n) && removable.has(n.opType!))) && (n.output ?? []).every((o) => !read.has(o));
        if (dead) changed = true;
        return !dead;
      });
      g.node = nodes;
      const removed = (g.initializer ?? []).filter((t) => !read.has(t.name!)).map((t) => t.name!);
      if (removed.length > 0) {
        changed = true;
        const gone = new Set(removed);
        g.initializer = (g.initializer ?? []).filter((t) => !gone.has(t.name!));
        // Old-IR models list initializers as graph inputs too; drop those entries with them.
        g.input = (g.input ?? []).filter((v) => !gone.has(v.name!));
      }
    });
    if (!changed) return;
  }
}
