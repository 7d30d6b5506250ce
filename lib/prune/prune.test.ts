import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quantize } from '../quantize/index.js';
import { chainModel, randomArray, seededRandom } from '../quantize/testing.js';
import { readTensor } from '../onnx/index.js';
import { prune } from './index.js';

const rand = seededRandom(5);

describe('magnitude pruning', () => {
  const model = chainModel(['n', 32], [
    { op: 'Gemm', weight: { dims: [32, 64], data: randomArray(2048, rand) } },
    { op: 'Relu' },
    { op: 'MatMul', weight: { dims: [64, 10], data: randomArray(640, rand, 0.1), asConstantNode: true } },
  ]);

  it('global: hits the target sparsity overall, zeroing the smallest magnitudes first', async () => {
    const { report, model: pruned } = await prune(model, { sparsity: 0.5 });
    expect(report.sparsity).toBeCloseTo(0.5, 3);
    // The small-scale layer loses more weights under one global threshold.
    expect(report.layers[1].sparsity).toBeGreaterThan(report.layers[0].sparsity);
    expect(report.gzipAfter).toBeLessThan(report.gzipBefore);
    const w = readTensor(pruned.graph!.initializer!.find((t) => t.name === 'w0')!).data as Float32Array;
    const kept = [...w].filter((v) => v !== 0).map(Math.abs);
    const zeroedOriginal = [...readTensor(model.graph!.initializer!.find((t) => t.name === 'w0')!).data].filter((_, i) => w[i] === 0).map((v) => Math.abs(Number(v)));
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...zeroedOriginal));
  });

  it('per layer: every layer reaches the target; Constant-node weights are pruned too', async () => {
    const { report } = await prune(model, { sparsity: 0.75, scope: 'layer' });
    for (const l of report.layers) expect(l.sparsity).toBeCloseTo(0.75, 2);
    expect(report.layers.map((l) => l.weight)).toEqual(['w0', 'w2']);
  });

  it('MNIST CNN: 50 % pruned, then int8, keeps its accuracy within 1 pt; reports the metric change', async () => {
    const float = new Uint8Array(readFileSync(new URL('../../scripts/mnist/mnist-cnn.onnx', import.meta.url)));
    const { loadSplit } = await import('../../scripts/mnist/data.js');
    const { ortSession, runAll } = await import('../quantize/runner.js');
    const test = loadSplit().test;
    const data = new Float32Array(test.length * 784);
    test.forEach((s, i) => data.set(s.pixels, i * 784));
    const evaluate = async (bytes: Uint8Array) => {
      const [o] = await runAll(ortSession, bytes, [{ input: { type: 'float32', data, dims: [test.length, 1, 28, 28] } }]);
      const l = o.logits.data as Float32Array;
      return test.filter((s, i) => { const r = l.subarray(i * 10, i * 10 + 10); return r.indexOf(Math.max(...r)) === s.label; }).length / test.length;
    };
    const { bytes, report } = await prune(float, { sparsity: 0.5, evaluate });
    expect(report.metricBefore! - report.metricAfter!).toBeLessThan(0.01);
    expect(report.gzipAfter / report.gzipBefore).toBeLessThan(0.7);
    const q = await quantize(bytes, { mode: 'dynamic' });
    expect(report.metricBefore! - (await evaluate(q.bytes))).toBeLessThan(0.01);
  });

  it('rejects an out-of-range sparsity', async () => {
    await expect(prune(model, { sparsity: 1.2 })).rejects.toMatchObject({ code: 'QUANTIZE_FAILED' });
  });
});
