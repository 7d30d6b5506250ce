/**
 * The quantizer in a real browser, and its int8 models through pageinfer.
 *   1. quantize in the page (lib/quantize imported by e2e/pages/quantize.ts), run the
 *      result through pageinfer in the same page, and check that the page's bytes equal
 *      the bytes this Node process makes with the same options;
 *   2. the int8 models of scripts/models/build.ts on wasm and on WebGPU.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { quantize, type QuantizeOptions } from '../lib/quantize/index.js';
import { ortSession, runAll } from '../lib/quantize/runner.js';
import { loadSplit, type Sample } from '../scripts/mnist/data.js';
import { ensureModels, modelsDir, type Manifest, type MnistSample } from '../scripts/models/build.js';
import { charAgreement, evalLines } from '../scripts/ocr/text.js';
import type { JsonF32 } from './pages/quantize.js';
import { fixture, fixtureUrl } from './helpers.js';

async function openPage(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/e2e/pages/quantize.html');
  await page.waitForFunction(() => window.qpageReady === true);
  expect(errors).toEqual([]);
}

const fileBytes = (path: string) => new Uint8Array(readFileSync(new URL(`../${path}`, import.meta.url)));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const json = (t: { data: ArrayLike<number>; dims: readonly number[] }): JsonF32 => ({ dims: [...t.dims], data: Array.from(t.data) });

/** Where the page's bytes first differ from Node's, for a readable failure. */
function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte ${i} of ${a.length}/${b.length}`;
  return a.length === b.length ? 'identical' : `lengths ${a.length} vs ${b.length}`;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function argmaxRows(data: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / width; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (data[r * width + c] > data[r * width + best]) best = c;
    out.push(best);
  }
  return out;
}

let split: { train: Sample[]; test: Sample[] } | undefined;
const mnist = () => (split ??= loadSplit());
const digits = (samples: Sample[]): JsonF32 => ({ dims: [samples.length, 1, 28, 28], data: samples.flatMap((s) => Array.from(s.pixels)) });

test.describe('the quantizer in the page', () => {
  test.beforeEach(async ({ page }) => openPage(page));

  test('MLP, dynamic per-channel: page bytes = Node bytes, and pageinfer runs them close to float', async ({ page }) => {
    const f = fixture('mlp_f32');
    const options: QuantizeOptions = { mode: 'dynamic', perChannel: true };
    const node = await quantize(fileBytes('e2e/fixtures/generated/mlp_f32.onnx'), options);
    const r = await page.evaluate(([url, o]) => window.qpage.quantizeUrl('mlp', url, o), [fixtureUrl('mlp_f32'), options] as const);
    const pageBytes = new Uint8Array(Buffer.from(r.base64, 'base64'));
    expect(r.sha256, firstDifference(pageBytes, node.bytes)).toBe(sha256(node.bytes));
    expect(r.quantized).toEqual(node.report.quantized.map((n) => `${n.node}: ${n.detail}`));

    const feeds = Object.fromEntries(Object.entries(f.example.feeds).map(([k, v]) => [k, { dims: v.dims, data: v.data }]));
    const out = await page.evaluate(([fd]) => window.qpage.run('mlp', fd, { backend: 'wasm', fallback: false }), [feeds] as const);
    expect(out.backend).toBe('wasm');
    const want = f.example.float.y;
    expect(out.outputs.y.dims).toEqual(want.dims);
    const range = Math.max(...want.data.map(Math.abs));
    const diff = maxAbs(out.outputs.y.data, want.data);
    test.info().annotations.push({ type: 'int8 vs float', description: `max abs ${diff.toExponential(2)} (|y| ≤ ${range.toFixed(2)}), quantized in ${r.ms.toFixed(0)} ms` });
    expect(diff).toBeLessThan(0.02 * range);
  });

  test('MNIST CNN, static QDQ per-channel calibrated in the page: page bytes = Node bytes, predictions match float', async ({ page }) => {
    test.setTimeout(120_000);
    const { train, test: held } = mnist();
    // 2 calibration batches of 16 training digits; 64 test digits to compare on.
    const calibration = [0, 1].map((k) => ({ input: digits(train.filter((_, i) => i % 250 === k)) }));
    const evalSet = held.filter((_, i) => i % 31 === 0).slice(0, 64);
    const options: QuantizeOptions = { mode: 'static', format: 'qdq', perChannel: true };
    const float = fileBytes('scripts/mnist/mnist-cnn.onnx');
    const node = await quantize(float, {
      ...options,
      calibration: { inputs: calibration.map((c) => ({ input: { type: 'float32', data: Float32Array.from(c.input.data), dims: c.input.dims } })) },
    });
    const r = await page.evaluate(([o, cal]) => window.qpage.quantizeUrl('cnn', '/scripts/mnist/mnist-cnn.onnx', o, cal), [options, calibration] as const);
    const pageBytes = new Uint8Array(Buffer.from(r.base64, 'base64'));
    expect(r.sha256, firstDifference(pageBytes, node.bytes)).toBe(sha256(node.bytes));
    expect(r.quantized).toHaveLength(4); // 2 Conv + 2 Gemm

    const feeds = { input: digits(evalSet) };
    const q = await page.evaluate(([fd]) => window.qpage.run('cnn', fd, { backend: 'wasm', fallback: false }), [feeds] as const);
    expect(q.backend).toBe('wasm');
    // The float reference from ORT here in Node (its wasm backend is loaded already, for the calibration above).
    const [ref] = await runAll(ortSession, float, [{ input: { type: 'float32', data: Float32Array.from(feeds.input.data), dims: feeds.input.dims } }]);
    const fl = { outputs: { logits: json({ data: ref.logits.data as Float32Array, dims: ref.logits.dims }) } };
    const qPred = argmaxRows(q.outputs.logits.data, 10);
    const fPred = argmaxRows(fl.outputs.logits.data, 10);
    const agree = qPred.filter((p, i) => p === fPred[i]).length;
    const range = Math.max(...fl.outputs.logits.data.map(Math.abs));
    const diff = maxAbs(q.outputs.logits.data, fl.outputs.logits.data);
    test.info().annotations.push({ type: 'int8 vs float', description: `${agree}/${evalSet.length} same predictions, logits max abs ${diff.toFixed(3)} (|logit| ≤ ${range.toFixed(1)}), quantized in ${r.ms.toFixed(0)} ms` });
    expect(agree).toBeGreaterThanOrEqual(evalSet.length - 1);
    expect(diff).toBeLessThan(0.1 * range);
  });
});

/**
 * The int8 models of scripts/models/build.ts through pageinfer, on wasm and on WebGPU
 * (forced: `backend: 'webgpu', fallback: false`; here that is SwiftShader, ~100× slower
 * than wasm, so WebGPU gets a handful of digits and one short text line).
 *
 * What runs where on ORT 1.30's native WebGPU EP (onnxruntime-web/webgpu), from its verbose
 * node placement for the MNIST CNN:
 *   *.int8.onnx: the wasm build (scripts/models/mix.ts: integer kernels only for the op classes
 *     measured faster than float; int8 weights folded by ORT into float weights elsewhere).
 *     When it was QOperator: DequantizeLinear, Relu, MaxPool, Add on the GPU; QuantizeLinear,
 *     QLinearConv and QLinearMatMul have no WebGPU kernel and ran on the CPU EP (13 of 41
 *     nodes), with a copy between devices around each: correct, not fast.
 *   *.int8-weights.onnx (weight-only): every node on the GPU (DequantizeLinear of the int8
 *     weights, then float Conv/Gemm): the int8 form WebGPU runs natively. A full QDQ model
 *     would not be: QuantizeLinear has no WebGPU kernel, so each activation's Q/DQ pair
 *     would cross to the CPU and back.
 *   On wasm, *.int8.onnx runs at least at float speed (measured); *.int8-weights.onnx runs
 *   DequantizeLinear on every call (ORT keeps it for its QDQ fusions).
 */
test.describe('int8 models through pageinfer', () => {
  let manifest: Manifest;
  let sample: MnistSample;
  let floatTexts: string[];
  test.beforeAll(async () => {
    test.setTimeout(600_000); // a cold build (e2e/global-setup.ts normally did it already)
    manifest = await ensureModels({ log: () => undefined });
    sample = JSON.parse(readFileSync(join(modelsDir, 'mnist-sample.json'), 'utf8')) as MnistSample;
    // What the float model decoded for evalLines, on ORT's wasm backend in Node at build time.
    floatTexts = manifest.models['ppocr-rec.f32.onnx'].ocr!.texts!;
  });
  test.beforeEach(async ({ page }) => {
    await openPage(page);
    await page.evaluate(() => window.qpage.capabilities());
  });

  const pixelsOf = (idx: readonly number[]) => idx.flatMap((i) => sample.pixels[i].map((v) => v / 1000));
  const keysUrl = '/models/ppocr_keys_v1.txt';

  test('MNIST int8 (the wasm build) on wasm: accuracy on 100 test digits at the measured level; same predictions as ORT in Node', async ({ page }) => {
    const all = sample.labels.map((_, i) => i);
    const r = await page.evaluate(([px]) => window.qpage.classify('/models/mnist-cnn.int8.onnx', px, { backend: 'wasm', fallback: false }), [pixelsOf(all)] as const);
    expect(r.info.backend).toBe('wasm');
    const right = r.predictions.filter((p, i) => p === sample.labels[i]).length;
    const measured = manifest.models['mnist-cnn.int8.onnx'].mnist!.testAccuracy;
    test.info().annotations.push({ type: 'MNIST int8 on wasm', description: `${right}/100 right (full test split: ${(measured * 100).toFixed(2)} %), load ${r.ms.load.toFixed(0)} ms, batch of 100 in ${r.ms.run.toFixed(0)} ms` });
    // 100 digits: a binomial standard deviation of ~1.8 pt at 96 %; allow 3.
    expect(right / 100).toBeGreaterThanOrEqual(measured - 0.03);
    expect(r.predictions).toEqual(await nodePredictions(join(modelsDir, 'mnist-cnn.int8.onnx'), pixelsOf(all)));
  });

  test('MNIST int8 on WebGPU (forced), the wasm build and weight-only: 8 digits predicted as on wasm', async ({ page }) => {
    test.setTimeout(120_000);
    const few = [3, 15, 27, 39, 51, 63, 75, 87]; // one digit of each of 8 classes
    const want = await nodePredictions(join(modelsDir, 'mnist-cnn.int8.onnx'), pixelsOf(few));
    for (const file of ['mnist-cnn.int8.onnx', 'mnist-cnn.int8-weights.onnx']) {
      const gpu = await page.evaluate(([url, px]) => window.qpage.classify(url, px, { backend: 'webgpu', fallback: false }), [`/models/${file}`, pixelsOf(few)] as const);
      expect(gpu.info.backend).toBe('webgpu');
      expect(gpu.predictions, file).toEqual(want);
      test.info().annotations.push({ type: `${file} on WebGPU`, description: `load ${gpu.ms.load.toFixed(0)} ms, 8 digits in ${gpu.ms.run.toFixed(0)} ms` });
    }
    expect(want.filter((p, i) => p === sample.labels[few[i]]).length).toBeGreaterThanOrEqual(7);
  });

  test('PP-OCR rec int8 (the wasm build) on wasm: the text of 12 rendered lines agrees with the float model on ≥ 99 % of characters', async ({ page }) => {
    test.setTimeout(120_000);
    const n = 12;
    const r = await page.evaluate(([l]) => window.qpage.read('/models/ppocr-rec.int8.onnx', l, '/models/ppocr_keys_v1.txt', { backend: 'wasm', fallback: false }), [evalLines.slice(0, n)] as const);
    expect(r.info.backend).toBe('wasm');
    const agreement = charAgreement(floatTexts.slice(0, n), r.texts);
    test.info().annotations.push({ type: 'PP-OCR rec int8 on wasm', description: `${n} lines, ${(agreement * 100).toFixed(2)} % of the float model's characters; load ${r.ms.load.toFixed(0)} ms, ${(r.ms.run / n).toFixed(0)} ms/line` });
    expect(charAgreement(evalLines.slice(0, n), floatTexts.slice(0, n))).toBeGreaterThanOrEqual(0.99); // the float model reads the rendering
    expect(agreement).toBeGreaterThanOrEqual(0.99);
  });

  // A PP-OCR rec whose convolutions run on the GPU costs SwiftShader ~25–40 s of shader
  // compiling on the first run, against ~10 s for QOperator, whose QLinearConvs run on the CPU
  // EP; so by default the int8 (QOperator) file, and PAGEINFER_E2E_FULL=1 adds the weight-only
  // one (MNIST covers weight-only on WebGPU).
  test('PP-OCR rec int8 on WebGPU (forced): a line reads as on the float model', async ({ page }) => {
    test.setTimeout(240_000);
    const k = evalLines.indexOf('PAGE INFER');
    const files = process.env.PAGEINFER_E2E_FULL ? ['ppocr-rec.int8.onnx', 'ppocr-rec.int8-weights.onnx'] : ['ppocr-rec.int8.onnx'];
    for (const file of files) {
      const gpu = await page.evaluate(([url, l, keys]) => window.qpage.read(url, l, keys, { backend: 'webgpu', fallback: false }), [`/models/${file}`, [evalLines[k]], keysUrl] as const);
      expect(gpu.info.backend).toBe('webgpu');
      expect(gpu.texts, file).toEqual([floatTexts[k]]);
      test.info().annotations.push({ type: `${file} on WebGPU`, description: `load ${gpu.ms.load.toFixed(0)} ms, 1 line in ${gpu.ms.run.toFixed(0)} ms` });
    }
  });
});

/** The int8 model's predictions computed here in Node (onnxruntime-web's wasm backend), for the same sample digits. */
async function nodePredictions(path: string, pixels: readonly number[]): Promise<number[]> {
  const data = Float32Array.from(pixels);
  const [out] = await runAll(ortSession, new Uint8Array(readFileSync(path)), [{ input: { type: 'float32', data, dims: [pixels.length / 784, 1, 28, 28] } }]);
  return argmaxRows(out.logits.data as Float32Array, 10);
}
