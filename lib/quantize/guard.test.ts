import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { encodeModel, makeTensor } from '../onnx/index.js';
import { makeModel, makeNode, makeValueInfo } from '../onnx/build.js';
import { detectKind, makeEvalInputs } from './evalinputs.js';
import { foldBatchNorm } from './fold.js';
import { describeModel } from './describe.js';
import { guardedQuantize, quantize } from './index.js';
import { chainModel, clone, floatTensor, maxAbsDiff, randomArray, runModel, seededRandom } from './testing.js';

const rand = seededRandom(18);

/**
 * x[1,16] → Gemm → t (one feature ~1000× the others, from the bias) → MatMul that ignores that feature → y.
 * Dynamic int8 quantizes t per tensor: the scale the big feature needs rounds every small
 * one to zero, so y, which depends only on the small ones, is lost. Quantizing gemm0
 * alone is harmless; matmul1 alone breaks the output.
 */
function outlierModel() {
  const w0 = randomArray(16 * 8, rand, 0.3);
  const b0 = new Float32Array(8);
  b0[0] = 1000; // the big feature: a float bias, so the weights themselves quantize well
  const w1 = randomArray(8 * 4, rand, 0.5);
  for (let n = 0; n < 4; n++) w1[n] = 0; // row 0: the big feature does not reach y
  return chainModel([1, 16], [
    { op: 'Gemm', weight: { dims: [16, 8], data: w0 }, bias: b0 },
    { op: 'MatMul', weight: { dims: [8, 4], data: w1 } },
  ]);
}

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('accuracy guard by default', () => {
  it('makes its own inputs, finds that int8 breaks the output, keeps the breaking node with float math, and meets cosine >= 0.99', async () => {
    const model = outlierModel();
    const { guard, report, model: q } = await guardedQuantize(model);
    expect(guard.evalKind).toBe('normal');
    expect(guard.target).toEqual({ minCosine: 0.99 });
    expect(guard.initial.met).toBe(false);
    expect(guard.initial.outputs[0].cosine).toBeLessThan(0.9);
    expect(guard.excluded.map((e) => [e.node, e.keptAs])).toEqual([['matmul1', 'weight-only']]);
    expect(guard.met).toBe(true);
    expect(guard.final.outputs[0].cosine).toBeGreaterThanOrEqual(0.99);
    expect(report.quantized.map((n) => n.node)).toEqual(['gemm0']);
    expect(report.weightOnly.map((n) => n.node)).toEqual(['matmul1']);
    expect(q.graph!.node!.map((n) => n.opType)).toContain('MatMulInteger');
    // The guard's claim holds on inputs it never saw.
    const xs = Array.from({ length: 3 }, () => ({ x: floatTensor(randomArray(16, rand), [1, 16]) }));
    const f = await runModel(model, xs);
    const y = await runModel(q, xs);
    for (let k = 0; k < xs.length; k++) expect(maxAbsDiff(y[k], f[k]) / Math.max(...f[k].map(Math.abs))).toBeLessThan(0.05);
  });

  it('CLI with no flags runs the guard and prints the table; --strict exits 1 and writes nothing when the target cannot be met', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pageinfer-guard-'));
    const input = join(dir, 'outlier.onnx');
    writeFileSync(input, encodeModel(outlierModel()));
    const r = await cli('quantize', input, join(dir, 'q.onnx'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/guard: target cosine >= 0\.99 met on normal-like inputs made from the model's input metadata; 1 node\(s\) kept/);
    expect(r.out).toMatch(/kept float math, int8 weights: matmul1 \(MatMul\)/);
    expect(r.out).toMatch(/y\s+0\.\d+ → 0\.99\d+/);
    expect(existsSync(join(dir, 'q.onnx'))).toBe(true);
    // int8 weights with float math cannot reach this cosine, and --keep-as weight-only forbids full float.
    const strict = await cli('quantize', input, join(dir, 's.onnx'), '--strict', '--keep-as', 'weight-only', '--target', 'cosine=0.9999999');
    expect(strict.code).toBe(1);
    expect(strict.out).toMatch(/NOT met/);
    expect(strict.out).toMatch(/--strict: the target was not met; nothing written/);
    expect(existsSync(join(dir, 's.onnx'))).toBe(false);
    // The same without --strict writes the model and says what it missed.
    const lax = await cli('quantize', input, join(dir, 'l.onnx'), '--keep-as', 'weight-only', '--target', 'cosine=0.9999999');
    expect(lax.code).toBe(0);
    expect(lax.out).toMatch(/NOT met.*\n.*\n.*< target/);
    // --no-guard: the old behaviour, said out loud.
    const off = await cli('quantize', input, join(dir, 'n.onnx'), '--no-guard');
    expect(off.out).toMatch(/guard: off/);
    expect((await cli('quantize', input, join(dir, 'x.onnx'), '--no-guard', '--strict')).code).toBe(2);
  });

  it('folds BatchNormalization into the Conv before it, exactly up to float rounding', async () => {
    const m = 4;
    const w = makeTensor('w', 'float32', [m, 2, 3, 3], randomArray(m * 18, rand, 0.5));
    const vec = (name: string, lo: number, hi: number) => makeTensor(name, 'float32', [m], Float32Array.from({ length: m }, () => lo + (hi - lo) * rand()));
    const model = makeModel({
      nodes: [makeNode('Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }, 'conv'), makeNode('BatchNormalization', ['c', 'g', 'b', 'mu', 'var'], ['y'], { epsilon: 1e-3 }, 'bn')],
      initializers: [w, vec('g', 0.5, 2), vec('b', -1, 1), vec('mu', -1, 1), vec('var', 0.1, 3)],
      opset: 13,
      inputs: [makeValueInfo('x', 'float32', [1, 2, 5, 5])],
      outputs: [makeValueInfo('y', 'float32')],
    });
    const folded = clone(model);
    expect(foldBatchNorm(folded).folded).toEqual(['conv ← bn']);
    expect(folded.graph!.node!.map((n) => n.opType)).toEqual(['Conv']);
    expect(folded.graph!.initializer!.map((t) => t.name)).toEqual(['conv_folded_weight', 'conv_folded_bias']);
    const xs = [{ x: floatTensor(randomArray(50, rand), [1, 2, 5, 5]) }];
    const [a] = await runModel(model, xs);
    const [b] = await runModel(folded, xs);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
  });

  it("weight-only form 'cast' (Cast·scale, folded by ORT into a float weight) computes what DequantizeLinear does, at any opset", async () => {
    const conv = chainModel([1, 2, 5, 5], [{ op: 'Conv', weight: { dims: [3, 2, 3, 3], data: randomArray(54, rand, 0.5) }, attrs: { pads: [1, 1, 1, 1] } }], 11);
    const dq = await quantize(conv, { mode: 'weight-only' });
    const cast = await quantize(conv, { mode: 'weight-only', weightOnlyForm: 'cast' });
    expect(dq.model.graph!.node!.map((n) => n.opType)).toEqual(['DequantizeLinear', 'Conv']);
    expect(dq.report.opset.to).toBe(13);
    expect(cast.model.graph!.node!.map((n) => n.opType)).toEqual(['Cast', 'Mul', 'Conv']);
    expect(cast.report.opset.to).toBe(11);
    expect(describeModel(cast.model, cast.bytes.byteLength).format).toBe('weight-only');
    const xs = [{ x: floatTensor(randomArray(50, rand), [1, 2, 5, 5]) }];
    const [a] = await runModel(dq.model, xs);
    const [b] = await runModel(cast.model, xs);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
  });

  it('evaluation inputs follow the input metadata: image, audio (state zeros, sr 16000), tokens; seeded', () => {
    expect(detectKind([{ name: 'x', type: 'float32', dims: ['N', 3, 'H', 'W'] }])).toBe('image');
    const vad = [{ name: 'input', type: 'float32' as const, dims: ['?', '?'] }, { name: 'state', type: 'float32' as const, dims: [2, '?', 128] }, { name: 'sr', type: 'int64' as const, dims: [] }];
    expect(detectKind(vad)).toBe('audio');
    expect(detectKind([{ name: 'ids', type: 'int64', dims: ['B', 'T'] }])).toBe('tokens');
    const model = makeModel({
      nodes: [makeNode('Identity', ['input'], ['y'])],
      opset: 13,
      inputs: vad.map((v) => makeValueInfo(v.name, v.type, v.dims)),
      outputs: [makeValueInfo('y', 'float32')],
    });
    const { kind, inputs } = makeEvalInputs(model, { seeds: 2 });
    expect(kind).toBe('audio');
    expect(inputs).toHaveLength(2);
    expect(inputs[0].input.dims).toEqual([1, 512]);
    expect(inputs[0].state.dims).toEqual([2, 1, 128]);
    expect([...(inputs[0].state.data as Float32Array)].every((v) => v === 0)).toBe(true);
    expect(inputs[0].sr.data).toEqual(BigInt64Array.from([16000n]));
    const signal = inputs[0].input.data as Float32Array;
    expect(Math.max(...signal.map(Math.abs))).toBeGreaterThan(0.05);
    expect(inputs[1].input.data).not.toEqual(signal);
    expect(makeEvalInputs(model, { seeds: 2 }).inputs[0].input.data).toEqual(signal);
  });
});
