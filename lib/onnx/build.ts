/**
 * Small builders for ONNX protos: nodes with typed attributes, value infos and
 * whole models. Used by the quantizer, the MNIST exporter and tests.
 */
import type { TensorType } from '../tensor/types.js';
import { dataTypeOf } from './inspect.js';
import { onnx, toNumber, type GraphProto, type NodeProto, type TensorProto } from './model.js';

type AttrType = import('onnx-proto').onnx.AttributeProto.AttributeType;
export type AttrValue = number | string | number[] | TensorProto | GraphProto | { floats: number[] } | { float: number };

const T = onnx.AttributeProto.AttributeType;

/** Integers become INT(S); use `{ float: x }` / `{ floats: [...] }` to force floats. */
export function makeAttribute(name: string, value: AttrValue): import('onnx-proto').onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: T.STRING as AttrType, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT as AttrType, i: value } : { name, type: T.FLOAT as AttrType, f: value };
  }
  if (Array.isArray(value)) {
    return value.every(Number.isInteger) ? { name, type: T.INTS as AttrType, ints: value } : { name, type: T.FLOATS as AttrType, floats: value };
  }
  if ('floats' in value) return { name, type: T.FLOATS as AttrType, floats: value.floats };
  if ('float' in value) return { name, type: T.FLOAT as AttrType, f: value.float };
  if ('node' in value) return { name, type: T.GRAPH as AttrType, g: value as GraphProto };
  return { name, type: T.TENSOR as AttrType, t: value as TensorProto };
}

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue | undefined> = {},
  name?: string,
  domain?: string,
): NodeProto {
  const attribute = Object.entries(attrs)
    .filter((e): e is [string, AttrValue] => e[1] !== undefined)
    .map(([k, v]) => makeAttribute(k, v));
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, attribute, name: name ?? outputs[0], ...(domain ? { domain } : {}) });
}

export function makeValueInfo(name: string, type: TensorType, dims?: readonly (number | string)[]): import('onnx-proto').onnx.IValueInfoProto {
  const shape = dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined;
  return { name, type: { tensorType: { elemType: dataTypeOf(type), ...(shape ? { shape } : {}) } } };
}

export interface ModelSpec {
  nodes: NodeProto[];
  inputs: import('onnx-proto').onnx.IValueInfoProto[];
  outputs: import('onnx-proto').onnx.IValueInfoProto[];
  initializers?: TensorProto[];
  opset?: number;
  irVersion?: number;
  name?: string;
}

export function makeModel(spec: ModelSpec): InstanceType<typeof onnx.ModelProto> {
  return onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    producerName: 'pageinfer',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: spec.name ?? 'graph',
      node: spec.nodes,
      input: spec.inputs,
      output: spec.outputs,
      initializer: spec.initializers ?? [],
    },
  });
}

/** Reads an attribute of a node as a plain JS value (undefined when absent). */
export function getAttribute(node: NodeProto, name: string): number | number[] | string | TensorProto | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  if (!a) return undefined;
  switch (a.type) {
    case T.INT: return toNumber(a.i);
    case T.FLOAT: return a.f ?? 0;
    case T.INTS: return (a.ints ?? []).map(toNumber);
    case T.FLOATS: return [...(a.floats ?? [])];
    case T.STRING: return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.TENSOR: return a.t ?? undefined;
    default: return undefined;
  }
}

export function setAttribute(node: NodeProto, name: string, value: AttrValue | undefined): void {
  const rest = (node.attribute ?? []).filter((a) => a.name !== name);
  node.attribute = value === undefined ? rest : [...rest, makeAttribute(name, value)];
}
