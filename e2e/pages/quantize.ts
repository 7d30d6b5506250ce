/**
 * The quantizer, running in the page (not in Node), and pageinfer next to it:
 * e2e/quantize.spec.ts quantizes models here, runs the results through
 * pageinfer workers, and reads MNIST digits and rendered text lines with the
 * int8 models on wasm and WebGPU. Everything crosses to the test as plain JSON.
 */
import * as pageinfer from '../../lib/index.js';
import type { LoadOptions, ModelInfo, Tensor } from '../../lib/index.js';
import { quantize, type QuantizeOptions } from '../../lib/quantize/index.js';
import { ctcDecode, renderLine } from '../../scripts/ocr/render.js';

/** A float32 tensor as JSON. */
export interface JsonF32 {
  dims: number[];
  data: number[];
}

export interface PageQuantizeResult {
  sha256: string;
  size: number;
  /** The quantized model, base64 (so a failing determinism check can show where bytes differ). */
  base64: string;
  quantized: string[];
  ms: number;
}

export interface RunResult {
  outputs: Record<string, JsonF32>;
  backend: string;
  ms: { load: number; run: number };
}

const f32 = (t: JsonF32): Tensor => ({ type: 'float32', data: Float32Array.from(t.data), dims: t.dims });

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Quantized models made in this page, by key, so they can be run without crossing back to Node. */
const made = new Map<string, Uint8Array>();

/** One engine for the page: its capability probe runs once. Each model is disposed after use. */
let shared: pageinfer.Engine | undefined;
// SwiftShader's WebGPU builds PP-OCR rec sessions slowly (shader compiles): a longer deadline than the default 30 s.
const engine = () => (shared ??= pageinfer.createEngine({ cache: false, sessionTimeoutMs: 180_000 }));

const keysCache = new Map<string, string[]>();
async function keys(url: string): Promise<string[]> {
  let k = keysCache.get(url);
  if (!k) {
    k = (await (await fetch(url)).text()).split('\n').filter((l) => l.length > 0);
    keysCache.set(url, k);
  }
  return k;
}

const qpage = {
  /** Quantizes the model at `url` here in the page; static calibration runs ORT wasm on this page's main thread. */
  async quantizeUrl(key: string, url: string, options: QuantizeOptions, calibration: Record<string, JsonF32>[] = []): Promise<PageQuantizeResult> {
    const float = await fetchBytes(url);
    const t0 = performance.now();
    const opts: QuantizeOptions = calibration.length
      ? { ...options, calibration: { ...options.calibration, inputs: calibration.map((f) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, f32(v)]))) } }
      : options;
    const { bytes, report } = await quantize(float, opts);
    const ms = performance.now() - t0;
    made.set(key, bytes);
    return { sha256: await sha256(bytes), size: bytes.byteLength, base64: base64(bytes), quantized: report.quantized.map((n) => `${n.node}: ${n.detail}`), ms };
  },

  /** Runs a model (a URL, or the key of a model quantized here) once through pageinfer. */
  async run(source: string, feeds: Record<string, JsonF32>, load: LoadOptions = {}): Promise<RunResult> {
    const t0 = performance.now();
    const bytes = made.get(source);
    const model = await engine().load(bytes ? bytes.slice() : source, load);
    try {
      const t1 = performance.now();
      const out = await model.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, f32(v)])));
      const t2 = performance.now();
      const outputs = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: [...v.dims], data: Array.from(v.data as Float32Array) }]));
      return { outputs, backend: model.info.backend, ms: { load: t1 - t0, run: t2 - t1 } };
    } finally {
      await model.dispose();
    }
  },

  /** Warms the shared engine (capability probe) so later timings are model work only. */
  async capabilities() {
    return engine().capabilities();
  },

  /** MNIST: argmax of the logits of `pixels` (n × 784 values) in one batch. */
  async classify(url: string, pixels: number[], load: LoadOptions = {}): Promise<{ predictions: number[]; info: ModelInfo; ms: { load: number; run: number } }> {
    const n = pixels.length / 784;
    const t0 = performance.now();
    const model = await engine().load(url, load);
    try {
      const t1 = performance.now();
      const out = await model.run({ [model.info.inputs[0].name]: { type: 'float32', data: Float32Array.from(pixels), dims: [n, 1, 28, 28] } });
      const t2 = performance.now();
      const logits = Object.values(out)[0].data as Float32Array;
      const predictions = Array.from({ length: n }, (_, i) => {
        const row = logits.subarray(i * 10, i * 10 + 10);
        return row.indexOf(Math.max(...row));
      });
      return { predictions, info: model.info, ms: { load: t1 - t0, run: t2 - t1 } };
    } finally {
      await model.dispose();
    }
  },

  /** PP-OCR rec: renders each line here (scripts/ocr/render.ts), runs it, CTC-decodes it with the key list at `keysUrl`. */
  async read(url: string, lines: readonly string[], keysUrl: string, load: LoadOptions = {}): Promise<{ texts: string[]; info: ModelInfo; ms: { load: number; run: number; perLine: number[] } }> {
    const keyList = await keys(keysUrl);
    const t0 = performance.now();
    const model = await engine().load(url, load);
    try {
      const t1 = performance.now();
      const texts: string[] = [];
      const per: number[] = [];
      for (const line of lines) {
        const s = performance.now();
        const out = await model.run({ [model.info.inputs[0].name]: renderLine(line) });
        per.push(performance.now() - s);
        const t = Object.values(out)[0];
        texts.push(ctcDecode(t.data as Float32Array, t.dims, keyList));
      }
      return { texts, info: model.info, ms: { load: t1 - t0, run: performance.now() - t1, perLine: per } };
    } finally {
      await model.dispose();
    }
  },
};

declare global {
  interface Window {
    qpage: typeof qpage;
    qpageReady: boolean;
  }
}

window.qpage = qpage;
window.qpageReady = true;
document.getElementById('status')!.textContent = 'ready';
