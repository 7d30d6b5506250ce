/**
 * Calibration: runs the float model on sample inputs with chosen intermediate
 * tensors exposed as outputs, and turns what it saw into a [min, max] range per tensor.
 *   minmax     — the extremes seen (outliers widen the range and cost resolution)
 *   percentile — clips the given percentile on each tail (default 99.999)
 *   entropy    — the |x| threshold minimising KL divergence between the float
 *                histogram and its 128-level quantized version (TensorRT's method)
 */
import { decodeModel, encodeModel, type ModelProto } from '../onnx/index.js';
import { makeValueInfo } from '../onnx/build.js';
import type { Feeds } from '../tensor/types.js';
import { QuantizeError } from '../errors/index.js';
import type { SessionFactory } from './runner.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

export interface CalibrationOptions {
  method?: CalibrationMethod;
  /** For 'percentile': the share of values kept on each tail, in percent. */
  percentile?: number;
}

export interface Range {
  min: number;
  max: number;
}

const BINS = 2048; // over [-R, R]; must stay divisible by 4 so that doubling R merges bin pairs exactly

/** Streams values into exact extremes and a symmetric histogram whose span doubles as needed. */
export class RangeCollector {
  min = Infinity;
  max = -Infinity;
  private halfSpan = 0;
  private hist = new Float64Array(BINS);

  add(data: ArrayLike<number>): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new QuantizeError('Calibration saw a non-finite value (NaN or Inf)');
    this.min = lo;
    this.max = hi;
    const need = Math.max(-lo, hi);
    if (this.halfSpan === 0) this.halfSpan = need > 0 ? need : 1e-8;
    while (need > this.halfSpan) this.grow();
    const w = (2 * this.halfSpan) / BINS;
    for (let i = 0; i < data.length; i++) {
      // Exact zeros (ReLU outputs, padding) quantize exactly at any range; counting
      // them would let their spike dominate the entropy and percentile searches.
      if (data[i] === 0) continue;
      const k = Math.min(BINS - 1, Math.floor((data[i] + this.halfSpan) / w));
      this.hist[k]++;
    }
  }

  private grow(): void {
    const next = new Float64Array(BINS);
    for (let k = 0; k < BINS; k++) next[BINS / 4 + (k >> 1)] += this.hist[k];
    this.hist = next;
    this.halfSpan *= 2;
  }

  range(opts: CalibrationOptions = {}): Range {
    if (!Number.isFinite(this.min)) return { min: 0, max: 0 };
    const method = opts.method ?? 'minmax';
    if (method === 'minmax') return { min: this.min, max: this.max };
    if (method === 'percentile') return this.percentile(opts.percentile ?? 99.999);
    const t = this.entropyThreshold();
    return { min: Math.max(this.min, -t), max: Math.min(this.max, t) };
  }

  private edge(k: number): number {
    return -this.halfSpan + (k * 2 * this.halfSpan) / BINS;
  }

  private percentile(p: number): Range {
    const total = this.hist.reduce((a, b) => a + b, 0);
    const tail = (total * (100 - p)) / 100;
    let lo = 0;
    for (let acc = 0; lo < BINS && acc + this.hist[lo] <= tail; lo++) acc += this.hist[lo];
    let hi = BINS - 1;
    for (let acc = 0; hi > 0 && acc + this.hist[hi] <= tail; hi--) acc += this.hist[hi];
    return { min: Math.max(this.min, this.edge(lo)), max: Math.min(this.max, this.edge(hi + 1)) };
  }

  /** KL-divergence threshold on the |x| histogram, with 128 quantization levels. */
  private entropyThreshold(): number {
    const half = BINS / 2;
    const abs = new Float64Array(half);
    for (let k = 0; k < BINS; k++) abs[k < half ? half - 1 - k : k - half] += this.hist[k];
    const levels = 128;
    let best = half;
    let bestKl = Infinity;
    for (let i = levels; i <= half; i += 8) {
      const p = abs.slice(0, i);
      for (let k = i; k < half; k++) p[i - 1] += abs[k];
      const q = new Float64Array(i);
      for (let j = 0; j < levels; j++) {
        const start = Math.floor((j * i) / levels);
        const end = Math.floor(((j + 1) * i) / levels);
        let sum = 0;
        let nonzero = 0;
        for (let k = start; k < end; k++) {
          sum += abs[k];
          if (abs[k] > 0) nonzero++;
        }
        for (let k = start; k < end; k++) if (abs[k] > 0) q[k] = sum / nonzero;
      }
      const kl = klDivergence(p, q);
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
    }
    return (best * this.halfSpan) / half;
  }
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  const ps = p.reduce((a, b) => a + b, 0);
  const qs = q.reduce((a, b) => a + b, 0);
  if (ps === 0 || qs === 0) return Infinity;
  let kl = 0;
  for (let k = 0; k < p.length; k++) {
    if (p[k] === 0) continue;
    const pk = p[k] / ps;
    const qk = q[k] > 0 ? q[k] / qs : 1e-10; // a bin the quantized form lost entirely is penalised, not infinite
    kl += pk * Math.log(pk / qk);
  }
  return kl;
}

/** Copies the model and lists `tensors` as extra graph outputs so a session returns them. */
export function exposeTensors(model: ModelProto, tensors: readonly string[]): Uint8Array {
  const copy = decodeModel(encodeModel(model));
  const graph = copy.graph!;
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  for (const t of tensors) if (!existing.has(t)) graph.output!.push(makeValueInfo(t, 'float32'));
  return encodeModel(copy);
}

export interface CalibrateArgs {
  model: ModelProto;
  tensors: readonly string[];
  inputs: readonly Feeds[];
  session: SessionFactory;
  options?: CalibrationOptions;
  onProgress?: (done: number, total: number) => void;
}

/** Runs the calibration inputs and returns each tensor's range under the chosen method. */
export async function calibrate({ model, tensors, inputs, session, options, onProgress }: CalibrateArgs): Promise<Map<string, Range>> {
  if (inputs.length === 0) throw new QuantizeError('Static quantization needs at least one calibration input', {});
  const collectors = new Map(tensors.map((t) => [t, new RangeCollector()]));
  const s = await session(exposeTensors(model, tensors));
  try {
    for (let i = 0; i < inputs.length; i++) {
      const out = await s.run(inputs[i], tensors);
      for (const [name, c] of collectors) c.add(out[name].data as Float32Array);
      onProgress?.(i + 1, inputs.length);
    }
  } finally {
    await s.release();
  }
  return new Map([...collectors].map(([name, c]) => [name, c.range(options)]));
}
