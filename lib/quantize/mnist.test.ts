/** The committed MNIST CNN (scripts/mnist/train.ts) through every quantization form. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Feeds, Outputs } from '../tensor/types.js';
import { loadSplit, type Sample } from '../../scripts/mnist/data.js';
import { guardedQuantize, quantize, type QuantizeOptions } from './index.js';
import { ortSession, runAll } from './runner.js';

const modelPath = new URL('../../scripts/mnist/mnist-cnn.onnx', import.meta.url);
const { train, test } = loadSplit();
const batch = (samples: Sample[]): Feeds => {
  const data = new Float32Array(samples.length * 784);
  samples.forEach((s, i) => data.set(s.pixels, i * 784));
  return { input: { type: 'float32', data, dims: [samples.length, 1, 28, 28] } };
};
const accuracyOf = (outs: readonly Outputs[], samples: Sample[]) => {
  const logits = outs[0].logits.data as Float32Array;
  let right = 0;
  samples.forEach((s, i) => {
    const row = logits.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === s.label) right++;
  });
  return right / samples.length;
};
const accuracy = async (bytes: Uint8Array) => accuracyOf(await runAll(ortSession, bytes, [batch(test)]), test);
// 4 batches of 40 training digits: calibration never sees the test split.
const calibration = Array.from({ length: 4 }, (_, k) => batch(train.filter((_, i) => i % 200 === k)));

describe('MNIST CNN int8', async () => {
  const float = new Uint8Array(readFileSync(modelPath));
  const floatAccuracy = await accuracy(float);

  it('the float model is a reasonable classifier', () => {
    expect(floatAccuracy).toBeGreaterThan(0.95);
  });

  const forms: [string, QuantizeOptions][] = [
    ['dynamic per-tensor', { mode: 'dynamic' }],
    ['dynamic per-channel', { mode: 'dynamic', perChannel: true }],
    ['static QDQ per-channel', { mode: 'static', format: 'qdq', perChannel: true }],
    ['static QOperator per-channel', { mode: 'static', format: 'qoperator', perChannel: true }],
    ['static QOperator percentile', { mode: 'static', format: 'qoperator', calibration: { inputs: calibration, method: 'percentile' } }],
  ];
  for (const [name, opts] of forms) {
    it(`${name}: within 0.5 pt of float and ≥3.5× smaller`, async () => {
      const { bytes } = await quantize(float, { calibration: { inputs: calibration }, ...opts });
      const acc = await accuracy(bytes);
      expect(floatAccuracy - acc).toBeLessThanOrEqual(0.005);
      expect(float.byteLength / bytes.byteLength).toBeGreaterThanOrEqual(3.5);
    });
  }

  it('the accuracy guard keeps the most sensitive nodes in float until the metric target is met', async () => {
    const evalSet = test.slice(0, 400);
    const { guard, report } = await guardedQuantize(float, {
      mode: 'static',
      format: 'qdq',
      calibration: { inputs: calibration, method: 'entropy' },
      evalInputs: [batch(evalSet)],
      target: { metric: (outs) => accuracyOf(outs, evalSet), maxMetricDrop: 0, minCosine: 0.9995 },
    });
    expect(guard.met).toBe(true);
    expect(guard.excluded.length).toBeGreaterThan(0);
    for (const e of guard.excluded) expect(e.reason).toMatch(/quantized alone/);
    expect(report.quantized.length + guard.excluded.length).toBe(4);
  });
});
