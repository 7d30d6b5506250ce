import { describe, expect, it } from 'vitest';
import { makeTensor, opsetVersion } from '../onnx/index.js';
import { makeModel, makeNode, makeValueInfo } from '../onnx/build.js';
import { quantize } from './index.js';
import { conv2d, dynamicQuantize, matmul, symmetricInt8 } from './reference.js';
import { chainModel, floatTensor, maxAbsDiff, randomArray, runModel, seededRandom } from './testing.js';

const rand = seededRandom(42);

describe('dynamic quantization', () => {
  it('MatMul → MatMulInteger matches the integer reference (per tensor, weight in a Constant node)', async () => {
    const [M, K, N] = [4, 16, 8];
    const w = randomArray(K * N, rand, 0.5);
    const model = chainModel(['n', K], [{ op: 'MatMul', weight: { dims: [K, N], data: w, asConstantNode: true } }]);
    const x = randomArray(M * K, rand);
    const { bytes, report, model: q } = await quantize(model, { mode: 'dynamic' });
    expect(report.quantized.map((r) => r.detail)).toEqual(['MatMulInteger int8 per-tensor']);
    expect(opsetVersion(q)).toBe(13);
    expect(q.graph!.node!.some((n) => n.opType === 'Constant')).toBe(false); // float weight gone
    const [y] = await runModel(q, [{ x: floatTensor(x, [M, K]) }]);
    const a = dynamicQuantize(x);
    const b = symmetricInt8(w, 1, () => 0);
    const ref = matmul(Array.from(a.q, (v) => v - a.zp), b.q, M, K, N).map((v) => v * Math.fround(a.scale * b.scale[0]));
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    expect(maxAbsDiff(y, matmul(x, w, M, K, N))).toBeLessThan(0.05);
    expect(bytes.byteLength).toBeGreaterThan(0);
  });

  it('Gemm (transB, alpha, beta, bias) per channel matches the reference', async () => {
    const [M, K, N] = [3, 12, 5];
    const w = randomArray(N * K, rand, 0.5); // [N, K], transB = 1
    const bias = randomArray(N, rand);
    const model = chainModel([M, K], [{ op: 'Gemm', weight: { dims: [N, K], data: w }, bias, attrs: { transB: 1, alpha: 0.5, beta: 2 } }]);
    const x = randomArray(M * K, rand);
    const { model: q } = await quantize(model, { mode: 'dynamic', perChannel: true });
    const [y] = await runModel(q, [{ x: floatTensor(x, [M, K]) }]);
    const wKN = new Float32Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) wKN[k * N + n] = w[n * K + k] * 0.5;
    const a = dynamicQuantize(x);
    const b = symmetricInt8(wKN, N, (i) => i % N);
    const acc = matmul(Array.from(a.q, (v) => v - a.zp), b.q, M, K, N);
    const ref = acc.map((v, i) => v * Math.fround(a.scale * b.scale[i % N]) + 2 * bias[i % N]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-4);
  });

  it('Conv → ConvInteger (grouped, padded, per channel, uint8) stays close to float; opset 9 models are raised to 11', async () => {
    const wd = [4, 3, 3, 3];
    const w = randomArray(108, rand, 0.5);
    const bias = randomArray(4, rand);
    const model = chainModel([1, 3, 6, 6], [
      { op: 'Conv', weight: { dims: wd, data: w }, bias, attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Conv', weight: { dims: [4, 1, 3, 3], data: randomArray(36, rand, 0.5) }, attrs: { group: 4 } },
    ], 9);
    const x = randomArray(108, rand);
    const [f] = await runModel(model, [{ x: floatTensor(x, [1, 3, 6, 6]) }]);
    for (const opts of [{ perChannel: true, weightType: 'uint8' as const }, { perChannel: false, weightType: 'int8' as const }]) {
      const { model: q, report } = await quantize(model, { mode: 'dynamic', ...opts });
      expect(report.opset).toEqual({ from: 9, to: 11 });
      expect(q.graph!.node!.filter((n) => n.opType === 'ConvInteger')).toHaveLength(2);
      const [y] = await runModel(q, [{ x: floatTensor(x, [1, 3, 6, 6]) }]);
      const scale = Math.max(...f.map(Math.abs));
      expect(maxAbsDiff(y, f) / scale).toBeLessThan(0.03);
    }
    // The first conv alone against the integer reference (int8 symmetric per tensor).
    const single = chainModel([1, 3, 6, 6], [{ op: 'Conv', weight: { dims: wd, data: w }, bias, attrs: { pads: [1, 1, 1, 1] } }], 11);
    const { model: q } = await quantize(single, { mode: 'dynamic', perChannel: false });
    const [y] = await runModel(q, [{ x: floatTensor(x, [1, 3, 6, 6]) }]);
    const a = dynamicQuantize(x);
    const b = symmetricInt8(w, 1, () => 0);
    const { y: acc } = conv2d(Array.from(a.q, (v) => v - a.zp), [1, 3, 6, 6], b.q, wd, 1);
    const ref = acc.map((v, i) => v * Math.fround(a.scale * b.scale[0]) + bias[Math.floor(i / 36)]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-4);
  });

  it('quantizes MatMuls inside If branches (subgraphs)', async () => {
    const w = randomArray(32, rand);
    const branch = (name: string, scale: number) => ({
      name,
      node: [makeNode('MatMul', ['x', `${name}_w`], [`${name}_y`], {}, `${name}_mm`)],
      initializer: [makeTensor(`${name}_w`, 'float32', [8, 4], w.map((v) => v * scale))],
      input: [],
      output: [makeValueInfo(`${name}_y`, 'float32')],
    });
    const model = makeModel({
      opset: 13,
      inputs: [makeValueInfo('x', 'float32', [2, 8]), makeValueInfo('c', 'bool', [])],
      outputs: [makeValueInfo('y', 'float32')],
      nodes: [makeNode('If', ['c'], ['y'], { then_branch: branch('then', 1), else_branch: branch('else', -1) })],
    });
    const { report, model: q } = await quantize(model, { mode: 'dynamic' });
    expect(report.quantized.map((r) => r.node).sort()).toEqual(['else_mm', 'then_mm']);
    const x = randomArray(16, rand);
    for (const c of [0, 1]) {
      const feeds = [{ x: floatTensor(x, [2, 8]), c: { type: 'bool' as const, data: new Uint8Array([c]), dims: [] } }];
      const [f] = await runModel(model, feeds);
      const [y] = await runModel(q, feeds);
      expect(maxAbsDiff(f, y)).toBeLessThan(0.05);
    }
  });

  it('reports why nodes stayed float', async () => {
    const model = makeModel({
      inputs: [makeValueInfo('a', 'float32', [2, 3]), makeValueInfo('b', 'float32', [3, 2])],
      outputs: [makeValueInfo('y', 'float32')],
      nodes: [makeNode('MatMul', ['a', 'b'], ['y'], {}, 'mm')],
    });
    const { report } = await quantize(model, { mode: 'dynamic' });
    expect(report.quantized).toEqual([]);
    expect(report.skipped).toEqual([{ node: 'mm', op: 'MatMul', detail: 'weight is not a float32 constant' }]);
  });
});
