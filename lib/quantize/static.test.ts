import { describe, expect, it } from 'vitest';
import { quantize } from './index.js';
import { conv2d, fakeQuantUint8, matmul, rne, symmetricInt8 } from './reference.js';
import { chainModel, floatTensor, maxAbsDiff, randomArray, runModel, seededRandom } from './testing.js';

const rand = seededRandom(7);
const minMax = (xs: Float32Array[]) => ({ min: Math.min(...xs.map((x) => Math.min(...x))), max: Math.max(...xs.map((x) => Math.max(...x))) });

describe('static quantization', () => {
  const [M, K, N] = [4, 16, 6];
  const w = randomArray(K * N, rand, 0.5);
  const bias = randomArray(N, rand);
  const gemm = chainModel(['n', K], [{ op: 'Gemm', weight: { dims: [K, N], data: w }, bias }]);
  const xs = Array.from({ length: 4 }, () => randomArray(M * K, rand));
  const feeds = xs.map((x) => ({ x: floatTensor(x, [M, K]) }));

  /** Reference: fake-quantized input and weights, int32 bias at scale x_scale * w_scale. */
  function reference(x: Float32Array, perChannel: boolean): Float32Array {
    const r = minMax(xs);
    const fx = fakeQuantUint8(x, r.min, r.max);
    const b = symmetricInt8(w, perChannel ? N : 1, (i) => (perChannel ? i % N : 0));
    const fw = Float32Array.from(b.q, (q, i) => q * b.scale[perChannel ? i % N : 0]);
    const xScale = Math.fround((Math.max(0, r.max) - Math.min(0, r.min)) / 255);
    const fb = bias.map((v, j) => { const s = Math.fround(xScale * b.scale[perChannel ? j : 0]); return rne(v / s) * s; });
    return matmul(fx, fw, M, K, N).map((v, i) => v + fb[i % N]);
  }

  for (const perChannel of [false, true]) {
    it(`QDQ Gemm ${perChannel ? 'per channel' : 'per tensor'} matches the fake-quant reference`, async () => {
      const { model: q, report } = await quantize(gemm, { mode: 'static', format: 'qdq', perChannel, calibration: { inputs: feeds } });
      expect(report.quantized).toHaveLength(1);
      expect(q.graph!.node!.map((n) => n.opType)).toContain('DequantizeLinear');
      // Every per-channel axis is inside its tensor's rank (the 1-D bias takes axis 0, not the weight's 1).
      const rank = new Map(q.graph!.initializer!.map((t) => [t.name!, t.dims!.length]));
      for (const n of q.graph!.node!.filter((n) => n.opType === 'DequantizeLinear')) {
        const axis = n.attribute?.find((a) => a.name === 'axis');
        if (axis) expect(Number(axis.i), n.input![0]).toBeLessThan(rank.get(n.input![0])!);
      }
      const ys = await runModel(q, feeds);
      ys.forEach((y, i) => expect(maxAbsDiff(y, reference(xs[i], perChannel))).toBeLessThan(1e-4));
    });
  }

  it('QOperator Gemm → QLinearMatMul + Add matches the reference re-quantized at the output', async () => {
    const { model: q } = await quantize(gemm, { mode: 'static', format: 'qoperator', calibration: { inputs: feeds } });
    expect(q.graph!.node!.map((n) => n.opType)).toEqual(['QuantizeLinear', 'QLinearMatMul', 'DequantizeLinear', 'Add']);
    const ys = await runModel(q, feeds);
    const floats = xs.map((x) => matmul(x, w, M, K, N));
    // One output quantization step of the product (range widened by max |bias|) bounds the extra error.
    const r = minMax(floats.map((f) => f.map((v, j) => v + bias[j % N]) as Float32Array).concat([]));
    const widen = Math.max(...bias.map(Math.abs));
    const step = (Math.max(0, r.max + widen) - Math.min(0, r.min - widen)) / 255;
    ys.forEach((y, i) => expect(maxAbsDiff(y, reference(xs[i], false))).toBeLessThan(step * 0.51 + 1e-4));
  });

  it('QLinearConv and QDQ Conv chains stay close to float, per channel', async () => {
    const wd = [4, 2, 3, 3];
    const conv = chainModel([1, 2, 6, 6], [
      { op: 'Conv', weight: { dims: wd, data: randomArray(72, rand, 0.5) }, bias: randomArray(4, rand), attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Relu' },
      { op: 'Conv', weight: { dims: [3, 4, 3, 3], data: randomArray(108, rand, 0.5) }, bias: randomArray(3, rand) },
    ], 9);
    const cf = Array.from({ length: 3 }, () => ({ x: floatTensor(randomArray(72, rand), [1, 2, 6, 6]) }));
    const f = await runModel(conv, cf);
    const scale = Math.max(...f.flatMap((a) => [...a].map(Math.abs)));
    for (const format of ['qdq', 'qoperator'] as const) {
      const { model: q, report } = await quantize(conv, { mode: 'static', format, perChannel: true, calibration: { inputs: cf } });
      expect(report.opset.to).toBe(format === 'qdq' ? 13 : 10);
      if (format === 'qoperator') expect(q.graph!.node!.filter((n) => n.opType === 'QLinearConv')).toHaveLength(2);
      const ys = await runModel(q, cf);
      ys.forEach((y, i) => expect(maxAbsDiff(y, f[i]) / scale).toBeLessThan(0.03));
    }
  });

  it('QLinearConv alone matches the integer reference', async () => {
    const wd = [2, 1, 3, 3];
    const wc = randomArray(18, rand, 0.5);
    const conv = chainModel([1, 1, 5, 5], [{ op: 'Conv', weight: { dims: wd, data: wc } }]);
    const x = randomArray(25, rand);
    const cf = [{ x: floatTensor(x, [1, 1, 5, 5]) }];
    const { model: q } = await quantize(conv, { mode: 'static', format: 'qoperator', perChannel: false, calibration: { inputs: cf } });
    const [y] = await runModel(q, cf);
    const [f] = await runModel(conv, cf);
    const rx = minMax([x]);
    const fx = fakeQuantUint8(x, rx.min, rx.max);
    const b = symmetricInt8(wc, 1, () => 0);
    const ref = conv2d(fx, [1, 1, 5, 5], Float32Array.from(b.q, (v) => v * b.scale[0]), wd, 0).y;
    const ry = minMax([f]);
    expect(maxAbsDiff(y, fakeQuantUint8(ref, ry.min, ry.max))).toBeLessThan(1e-4);
  });

  it('refuses static quantization without calibration data', async () => {
    await expect(quantize(gemm, { mode: 'static' })).rejects.toMatchObject({ code: 'QUANTIZE_FAILED' });
  });
});
