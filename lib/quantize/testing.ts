/** Helpers for the quantizer tests: seeded data, tiny models, and ORT runs. */
import { decodeModel, encodeModel, makeTensor, type ModelProto, type NodeProto, type TensorProto } from '../onnx/index.js';
import { makeModel, makeNode, makeValueInfo, type AttrValue } from '../onnx/build.js';
import type { Feeds, Tensor } from '../tensor/types.js';
import { seededUniform } from '../tensor/random.js';
import { ortSession, runAll } from './runner.js';

/** mulberry32 (lib/tensor/random.ts): the same sequence everywhere. */
export const seededRandom = seededUniform;

export function randomArray(n: number, rand: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

export const floatTensor = (data: Float32Array, dims: number[]): Tensor => ({ type: 'float32', data, dims });

export function clone(model: ModelProto): ModelProto {
  return decodeModel(encodeModel(model));
}

export async function runModel(model: ModelProto, feeds: Feeds[]): Promise<Float32Array[]> {
  const outs = await runAll(ortSession, encodeModel(model), feeds);
  return outs.map((o) => Object.values(o)[0].data as Float32Array);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export interface Layer {
  op: 'MatMul' | 'Gemm' | 'Conv' | 'Relu';
  weight?: { dims: number[]; data: Float32Array; asConstantNode?: boolean };
  bias?: Float32Array;
  attrs?: Record<string, AttrValue>;
}

/** A chain of layers from input `x` to output `y`. */
export function chainModel(inputDims: (number | string)[], layers: Layer[], opset = 13): ModelProto {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let prev = 'x';
  layers.forEach((layer, i) => {
    const out = i === layers.length - 1 ? 'y' : `t${i}`;
    const inputs = [prev];
    if (layer.weight) {
      const w = makeTensor(`w${i}`, 'float32', layer.weight.dims, layer.weight.data);
      if (layer.weight.asConstantNode) nodes.push(makeNode('Constant', [], [`w${i}`], { value: w }));
      else initializers.push(w);
      inputs.push(`w${i}`);
    }
    if (layer.bias) {
      initializers.push(makeTensor(`b${i}`, 'float32', [layer.bias.length], layer.bias));
      inputs.push(`b${i}`);
    }
    nodes.push(makeNode(layer.op, inputs, [out], layer.attrs ?? {}, `${layer.op.toLowerCase()}${i}`));
    prev = out;
  });
  return makeModel({ nodes, initializers, opset, inputs: [makeValueInfo('x', 'float32', inputDims)], outputs: [makeValueInfo('y', 'float32')] });
}
