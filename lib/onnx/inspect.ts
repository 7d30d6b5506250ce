import type { Dim, TensorType, ValueInfo } from '../tensor/types.js';
import { onnx, toNumber, type GraphProto, type ModelProto } from './model.js';

/** ONNX TensorProto.DataType → ORT tensor type name. */
const dataTypes: Record<number, TensorType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};

export function tensorTypeOf(dataType: number): TensorType | 'unknown' {
  return dataTypes[dataType] ?? 'unknown';
}

export function dataTypeOf(type: TensorType): number {
  const entry = Object.entries(dataTypes).find(([, t]) => t === type);
  if (!entry) throw new Error(`No ONNX data type for ${type}`);
  return Number(entry[0]);
}

function valueInfo(v: import('onnx-proto').onnx.IValueInfoProto): ValueInfo {
  const t = v.type?.tensorType;
  const shape = t?.shape;
  const dims: Dim[] | null = shape
    ? (shape.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : null))
    : null;
  return { name: v.name ?? '', type: tensorTypeOf(t?.elemType ?? 0), dims };
}

/** Graph inputs that the caller must feed (initializers listed as inputs excluded). */
export function graphInputs(model: ModelProto): ValueInfo[] {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(valueInfo);
}

export function graphOutputs(model: ModelProto): ValueInfo[] {
  return (model.graph!.output ?? []).map(valueInfo);
}

/** Calls `visit` on every graph, the main one and every If/Loop/Scan body inside it. */
export function forEachGraph(graph: GraphProto, visit: (g: GraphProto) => void): void {
  visit(graph);
  for (const node of graph.node ?? []) {
    for (const attr of node.attribute ?? []) {
      if (attr.g) forEachGraph(attr.g, visit);
      for (const g of attr.graphs ?? []) forEachGraph(g, visit);
    }
  }
}

/** How many times each op type occurs, subgraphs included. */
export function opHistogram(model: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  forEachGraph(model.graph!, (g) => {
    for (const node of g.node ?? []) {
      const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}:${node.opType}` : node.opType!;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  });
  return counts;
}

export function opsetVersion(model: ModelProto, domain = ''): number | undefined {
  const entry = model.opsetImport.find((o) => (o.domain ?? '') === domain || (domain === '' && o.domain === 'ai.onnx'));
  return entry ? toNumber(entry.version) : undefined;
}

export interface ModelSummary {
  irVersion: number;
  opset: number | undefined;
  producer: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  ops: Record<string, number>;
}

export function summarize(model: ModelProto): ModelSummary {
  return {
    irVersion: toNumber(model.irVersion),
    opset: opsetVersion(model),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    inputs: graphInputs(model),
    outputs: graphOutputs(model),
    ops: opHistogram(model),
  };
}

export { onnx };
