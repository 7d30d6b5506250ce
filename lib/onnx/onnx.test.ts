import { describe, expect, it } from 'vitest';
import { InvalidModelError } from '../errors/index.js';
import { decodeModel, encodeModel, fixSymbolicDims, makeTensor, onnx, readTensor, summarize } from './index.js';

function tinyModel(): Uint8Array {
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const value = (name: string, dims: Array<number | string>) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map(dim) } } },
  });
  const thenBranch = { name: 'then', node: [{ opType: 'Identity', input: ['x'], output: ['t'] }], output: [value('t', ['batch', 2])] };
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'test',
    graph: {
      name: 'g',
      node: [
        { opType: 'MatMul', input: ['x', 'w'], output: ['y'] },
        { opType: 'If', input: ['c'], output: ['z'], attribute: [{ name: 'then_branch', type: 5, g: thenBranch }] },
      ],
      initializer: [makeTensor('w', 'float32', [2, 2], [1, 2, 3, 4])],
      input: [value('x', ['batch', 2]), value('w', [2, 2])],
      output: [value('y', ['batch', 2])],
    },
  });
}

describe('onnx model I/O', () => {
  it('summarizes inputs (initializers excluded), outputs and ops including subgraphs', () => {
    const s = summarize(decodeModel(tinyModel()));
    expect(s.inputs).toEqual([{ name: 'x', type: 'float32', dims: ['batch', 2] }]);
    expect(s.outputs[0].dims).toEqual(['batch', 2]);
    expect(s.ops).toEqual({ MatMul: 1, If: 1, Identity: 1 });
    expect(s.opset).toBe(13);
  });

  it('reads back tensor data written as raw bytes', () => {
    const w = decodeModel(tinyModel()).graph!.initializer![0];
    const t = readTensor(w);
    expect(t.dims).toEqual([2, 2]);
    expect([...t.data]).toEqual([1, 2, 3, 4]);
  });

  it('fixes symbolic dims in the model bytes', () => {
    const model = decodeModel(tinyModel());
    expect(fixSymbolicDims(model, { batch: 3 })).toEqual({ batch: 3 });
    const again = summarize(decodeModel(encodeModel(model)));
    expect(again.inputs[0].dims).toEqual([3, 2]);
    expect(again.outputs[0].dims).toEqual([3, 2]);
  });

  it('rejects empty, truncated and non-ONNX bytes with InvalidModelError', () => {
    const bytes = tinyModel();
    expect(() => decodeModel(new Uint8Array())).toThrow(InvalidModelError);
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 9))).toThrow(InvalidModelError);
    expect(() => decodeModel(new TextEncoder().encode('<html>not a model</html>'))).toThrow(InvalidModelError);
  });

  it('exposes the onnx namespace for building models', () => {
    expect(typeof onnx.ModelProto.create).toBe('function');
  });
});
