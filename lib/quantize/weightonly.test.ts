import { describe, expect, it } from 'vitest';
import { opsetVersion } from '../onnx/index.js';
import { describeModel } from './describe.js';
import { guardedQuantize, quantize } from './index.js';
import { conv2d, matmul, symmetricInt8 } from './reference.js';
import { chainModel, floatTensor, maxAbsDiff, randomArray, runModel, seededRandom } from './testing.js';

const rand = seededRandom(11);

describe('weight-only quantization', () => {
  // Depthwise Conv (opset 9) → Gemm (transB, alpha): the two rewrites weight-only handles specially.
  const dw = randomArray(4 * 9, rand, 0.5);
  const gw = randomArray(3 * 16, rand, 0.5); // [N=3, K=16], transB
  const gb = randomArray(3, rand);
  const model = chainModel([1, 4, 4, 4], [
    { op: 'Conv', weight: { dims: [4, 1, 3, 3], data: dw }, attrs: { group: 4, pads: [1, 1, 1, 1] } },
    { op: 'Relu' },
  ], 9);
  const x = randomArray(64, rand);

  it('per-channel depthwise Conv: int8 weights, float math, equal to float conv with dequantized weights; opset raised to 13', async () => {
    const { model: q, report, bytes } = await quantize(model, { mode: 'dynamic', perChannel: true, weightOnly: ['conv0'] });
    expect(report.quantized).toEqual([]);
    expect(report.weightOnly).toEqual([{ node: 'conv0', op: 'Conv', detail: 'weight-only int8 per-channel (float math)' }]);
    expect(report.skipped).toEqual([]);
    expect(report.opset).toEqual({ from: 9, to: 13 });
    expect(opsetVersion(q)).toBe(13);
    const ops = q.graph!.node!.map((n) => n.opType);
    expect(ops).toEqual(['DequantizeLinear', 'Conv', 'Relu']);
    expect(q.graph!.initializer!.some((t) => t.dataType === 1 && t.dims!.length === 4)).toBe(false); // float weight gone
    const b = symmetricInt8(dw, 4, (i) => Math.floor(i / 9));
    const wq = Float32Array.from(b.q, (v, i) => v * b.scale[Math.floor(i / 9)]);
    const ref = conv2d(x, [1, 4, 4, 4], wq, [4, 1, 3, 3], 1, 4).y.map((v) => Math.max(0, v));
    const [y] = await runModel(q, [{ x: floatTensor(x, [1, 4, 4, 4]) }]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
    expect(bytes.byteLength).toBeGreaterThan(0);
  });

  it('Gemm with transB and alpha: the folded [K, N] weight is stored, attributes cleared, static QDQ elsewhere', async () => {
    const gemm = chainModel([2, 16], [
      { op: 'Gemm', weight: { dims: [3, 16], data: gw }, bias: gb, attrs: { transB: 1, alpha: 0.5 } },
    ]);
    const xs = randomArray(32, rand);
    const { model: q, report } = await quantize(gemm, { mode: 'static', format: 'qdq', perChannel: false, weightOnly: ['gemm0'], calibration: { inputs: [{ x: floatTensor(xs, [2, 16]) }] } });
    expect(report.weightOnly.map((n) => n.detail)).toEqual(['weight-only int8 per-tensor (float math)']);
    expect(report.opset.to).toBe(13); // the model's own opset; per-tensor needs only 10
    const node = q.graph!.node!.find((n) => n.opType === 'Gemm')!;
    expect(node.attribute!.map((a) => a.name)).toEqual([]);
    const wKN = new Float32Array(16 * 3);
    for (let n = 0; n < 3; n++) for (let k = 0; k < 16; k++) wKN[k * 3 + n] = gw[n * 16 + k] * 0.5;
    const b = symmetricInt8(wKN, 1, () => 0);
    const ref = matmul(xs, Float32Array.from(b.q, (v) => v * b.scale[0]), 2, 16, 3).map((v, i) => v + gb[i % 3]);
    const [y] = await runModel(q, [{ x: floatTensor(xs, [2, 16]) }]);
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-5);
  });

  it("mode 'weight-only': every Conv/MatMul/Gemm with a constant weight, no calibration, no QuantizeLinear; inspect says 'weight-only'", async () => {
    const chain = chainModel([2, 16], [
      { op: 'MatMul', weight: { dims: [16, 8], data: randomArray(128, rand, 0.5), asConstantNode: true } },
      { op: 'Relu' },
      { op: 'Gemm', weight: { dims: [3, 8], data: randomArray(24, rand, 0.5) }, attrs: { transB: 1 } },
    ]);
    const { model: q, report } = await quantize(chain, { mode: 'weight-only', perChannel: true, exclude: ['gemm2'] });
    expect(report.mode).toBe('weight-only');
    expect(report.weightOnly.map((n) => n.node)).toEqual(['matmul0']);
    expect(report.quantized).toEqual([]);
    expect(q.graph!.node!.map((n) => n.opType)).toEqual(['DequantizeLinear', 'MatMul', 'Relu', 'Gemm']);
    expect(describeModel(q, 0).format).toBe('weight-only');
  });

  it('a node that cannot be weight-only quantized is reported, not rewritten', async () => {
    const { report } = await quantize(model, { mode: 'dynamic', weightOnly: ['relu1', 'nothing'] });
    expect(report.weightOnly).toEqual([]);
    expect(report.skipped).toContainEqual({ node: 'relu1', op: 'Relu', detail: 'weight-only: Relu has no weight to quantize' });
    expect(report.skipped).toContainEqual({ node: 'nothing', op: '', detail: 'weight-only: no node of that name or first output' });
  });

  it("the guard with keepAs 'weight-only' keeps sensitive nodes with int8 weights, compared on an inner tensor", async () => {
    // Compared on t1, the second Conv's output, which the float Relu reads (a tensor folded
    // into integer ops, like t0 between the two QLinearConvs, would not exist to compare).
    const chain = chainModel([1, 4, 4, 4], [
      { op: 'Conv', weight: { dims: [4, 1, 3, 3], data: dw }, attrs: { group: 4, pads: [1, 1, 1, 1] } },
      { op: 'Conv', weight: { dims: [4, 4, 1, 1], data: randomArray(16, rand, 0.5) } },
      { op: 'Relu' },
    ]);
    const feeds = [0, 1, 2].map(() => ({ x: floatTensor(randomArray(64, rand), [1, 4, 4, 4]) }));
    const { guard, report } = await guardedQuantize(chain, {
      mode: 'static',
      format: 'qoperator',
      perChannel: true,
      calibration: { inputs: feeds },
      evalInputs: feeds,
      compare: ['t1'],
      keepAs: 'weight-only',
      target: { minCosine: 0.999999 },
      maxExcluded: 1,
    });
    expect(guard.excluded).toHaveLength(1);
    expect(guard.excluded[0].keptAs).toBe('weight-only');
    expect(guard.initial.outputs.map((o) => o.output)).toEqual(['t1']);
    expect(report.weightOnly.map((n) => n.node)).toEqual([guard.excluded[0].node]);
    expect(report.quantized).toHaveLength(1);
  });
});
