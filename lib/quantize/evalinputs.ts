/**
 * Evaluation inputs made from a model's input metadata, so the accuracy guard can
 * run when the user gives none. They are not natural data: they are shaped like it
 * (value range, smoothness, token ids, a sample rate) so that dynamic activation
 * ranges and the outputs the guard compares behave roughly as they would in use.
 *
 *   image  — float rank-4 inputs with 1 or 3 channels: a light background with dark
 *            rectangles, bars and strokes of several sizes, blurred, plus a little noise,
 *            mapped to `range` (default [0, 1]). Symbolic H and W default to 128.
 *   audio  — the first float input is a signal: a few harmonic tones with a syllable-like
 *            envelope plus noise, amplitude ~0.3 (symbolic length 512); other float inputs
 *            (recurrent state) are zeros; integer scalars are the sample rate (16000).
 *   tokens — integer inputs are token ids in [0, vocab) (default 1000), sequence length 16;
 *            float inputs normal.
 *   normal — float inputs standard normal.
 *   auto   — image when a float rank-4 input has 1 or 3 channels; audio when an integer
 *            scalar input is named like a sample rate (sr, sample_rate); tokens when an
 *            input is an integer tensor; else normal.
 * Symbolic dims not covered above are 1 (batch); `shapes` overrides any input's dims.
 */
import { QuantizeError } from '../errors/index.js';
import { graphInputs, type ModelProto } from '../onnx/index.js';
import type { Feeds, Tensor, ValueInfo } from '../tensor/types.js';
import { seededUniform } from '../tensor/random.js';

export type EvalKind = 'auto' | 'image' | 'audio' | 'tokens' | 'normal';

export interface EvalDataOptions {
  kind?: EvalKind;
  /** How many input sets, each from its own seed (default 4). */
  seeds?: number;
  /** image: value range (default [0, 1]; PP-OCR style normalisation is [-1, 1]). */
  range?: readonly [number, number];
  /** tokens: ids are drawn from [0, vocab). */
  vocab?: number;
  /** audio: the value of integer scalar inputs. */
  sampleRate?: number;
  /** The value of symbolic first dims (default 1). */
  batch?: number;
  /** Concrete dims per input name, for symbolic dims the defaults get wrong. */
  shapes?: Readonly<Record<string, readonly number[]>>;
}

/** mulberry32 + Box-Muller: the same sequence in Node and every browser. */
function rng(seed: number) {
  const uniform = seededUniform((seed * 2654435761) >>> 0);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}
type Rng = ReturnType<typeof rng>;

const isInt = (t: string) => /^u?int/.test(t);
const isSampleRate = (v: ValueInfo) => isInt(v.type) && (v.dims?.length ?? 0) === 0 && /^(sr|sample_?rate|sampling_?rate)$/i.test(v.name);

/** The kind `auto` resolves to for this model. */
export function detectKind(inputs: readonly ValueInfo[]): Exclude<EvalKind, 'auto'> {
  if (inputs.some((v) => v.type === 'float32' && v.dims?.length === 4 && (v.dims[1] === 1 || v.dims[1] === 3))) return 'image';
  if (inputs.some(isSampleRate)) return 'audio';
  if (inputs.some((v) => isInt(v.type))) return 'tokens';
  return 'normal';
}

/** Makes `seeds` input sets for `model`; throws QuantizeError for inputs it cannot make (strings, bools). */
export function makeEvalInputs(model: ModelProto, options: EvalDataOptions = {}): { kind: Exclude<EvalKind, 'auto'>; inputs: Feeds[] } {
  const inputs = graphInputs(model);
  const kind = !options.kind || options.kind === 'auto' ? detectKind(inputs) : options.kind;
  const seeds = options.seeds ?? 4;
  const signal = inputs.find((v) => v.type === 'float32');
  const out: Feeds[] = [];
  for (let s = 0; s < seeds; s++) {
    const r = rng(s + 1);
    const feeds: Feeds = {};
    for (const v of inputs) feeds[v.name] = makeInput(v, kind, v === signal, r, options);
    out.push(feeds);
  }
  return { kind, inputs: out };
}

function shapeOf(v: ValueInfo, kind: string, isSignal: boolean, options: EvalDataOptions): number[] {
  const given = options.shapes?.[v.name];
  if (given) return [...given];
  const dims = v.dims ?? [];
  return dims.map((d, i) => {
    if (typeof d === 'number') return d;
    if (i === 0) return options.batch ?? 1;
    if (kind === 'image' && dims.length === 4 && i >= 2) return 128;
    if (kind === 'audio' && isSignal && i === dims.length - 1) return 512;
    if (kind === 'tokens' && isInt(v.type) && i === dims.length - 1) return 16;
    return 1;
  });
}

function makeInput(v: ValueInfo, kind: string, isSignal: boolean, r: Rng, options: EvalDataOptions): Tensor {
  const dims = shapeOf(v, kind, isSignal, options);
  const n = dims.reduce((a, b) => a * b, 1);
  if (isInt(v.type)) {
    const value = () => (kind === 'audio' && dims.length === 0 ? (options.sampleRate ?? 16000) : Math.floor(r.uniform() * (options.vocab ?? 1000)));
    const values = Array.from({ length: n }, value);
    return intTensor(v.type, values, dims);
  }
  if (v.type !== 'float32') throw new QuantizeError(`Cannot make evaluation data for input '${v.name}' of type ${v.type}: pass evaluation inputs (--eval)`, { input: v.name, type: v.type });
  const data = new Float32Array(n);
  if (kind === 'image' && dims.length === 4) fillImage(data, dims, r, options.range ?? [0, 1]);
  else if (kind === 'audio' && isSignal) fillAudio(data, r);
  else if (kind !== 'audio') for (let i = 0; i < n; i++) data[i] = r.normal();
  return { type: 'float32', data, dims };
}

function intTensor(type: string, values: number[], dims: number[]): Tensor {
  if (type === 'int64') return { type: 'int64', data: BigInt64Array.from(values, (x) => BigInt(x)), dims };
  if (type === 'int32') return { type: 'int32', data: Int32Array.from(values), dims };
  if (type === 'uint8') return { type: 'uint8', data: Uint8Array.from(values, (x) => x % 256), dims };
  if (type === 'int8') return { type: 'int8', data: Int8Array.from(values, (x) => (x % 256) - 128), dims };
  throw new QuantizeError(`Cannot make evaluation data for an input of type ${type}: pass evaluation inputs (--eval)`, { type });
}

/** Dark shapes of several sizes on a light, slightly uneven background, blurred once, same across channels ± a tint. */
function fillImage(data: Float32Array, dims: number[], r: Rng, [lo, hi]: readonly [number, number]): void {
  const [n, c, h, w] = dims;
  const plane = new Float32Array(h * w);
  for (let b = 0; b < n; b++) {
    const bg = 0.75 + 0.2 * r.uniform();
    const gx = (r.uniform() - 0.5) * 0.2;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) plane[y * w + x] = bg + (gx * x) / w;
    const shapes = 2 + Math.floor(r.uniform() * 4);
    for (let k = 0; k < shapes; k++) {
      const stroke = r.uniform() < 0.6; // thin bars, like glyph strokes
      const sw = Math.max(1, Math.round(stroke ? 1 + r.uniform() * 3 : r.uniform() * w * 0.4));
      const sh = Math.max(1, Math.round(stroke ? r.uniform() * h * 0.5 : r.uniform() * h * 0.4));
      const [bw, bh] = r.uniform() < 0.5 ? [sw, sh] : [sh, sw];
      const x0 = Math.floor(r.uniform() * w);
      const y0 = Math.floor(r.uniform() * h);
      const ink = 0.35 + r.uniform() * 0.35;
      for (let y = y0; y < Math.min(h, y0 + bh); y++) for (let x = x0; x < Math.min(w, x0 + bw); x++) plane[y * w + x] = ink;
    }
    // Rows of glyph-like marks (a few strokes per cell): what text detectors and recognisers respond to.
    const rows = Math.max(1, Math.min(6, Math.floor(h / 24)));
    for (let k = 0; k < rows; k++) {
      const band = h / rows;
      const size = Math.max(5, Math.round(Math.min(band * 0.7, 10 + 12 * r.uniform())));
      const top = Math.floor(k * band + r.uniform() * Math.max(1, band - size));
      const cell = Math.max(3, Math.round(size * 0.7));
      const pen = Math.max(1, Math.round(size / 7));
      for (let x0 = Math.floor(r.uniform() * cell); x0 + cell <= w; x0 += cell + Math.round(r.uniform() * pen * 2)) {
        if (r.uniform() < 0.12) continue; // a space
        for (let s = 0; s < 2 + Math.floor(r.uniform() * 3); s++) {
          const vertical = r.uniform() < 0.5;
          const ox = x0 + Math.floor(r.uniform() * (cell - pen));
          const oy = top + Math.floor(r.uniform() * (size - pen));
          const len = Math.round(cell * (0.5 + 0.5 * r.uniform()));
          for (let t = 0; t < len; t++) for (let p = 0; p < pen; p++) {
            const y = vertical ? top + Math.round((t * size) / len) : oy + p;
            const x = vertical ? ox + p : x0 + t;
            if (y < h && x < w) plane[y * w + x] = 0.05;
          }
        }
      }
    }
    for (let ch = 0; ch < c; ch++) {
      const tint = (r.uniform() - 0.5) * 0.05;
      const base = (b * c + ch) * h * w;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let s = 0;
          let m = 0;
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w) { s += plane[yy * w + xx]; m++; }
          }
          const v = Math.min(1, Math.max(0, s / m + tint + 0.02 * r.normal()));
          data[base + y * w + x] = lo + v * (hi - lo);
        }
      }
    }
  }
}

/** Voiced-speech-like: 2–4 harmonics of a 100–250 Hz pitch (at 16 kHz), a syllable envelope, some noise. */
function fillAudio(data: Float32Array, r: Rng): void {
  const f0 = 100 + 150 * r.uniform();
  const harmonics = 2 + Math.floor(r.uniform() * 3);
  const phase = r.uniform() * Math.PI * 2;
  const syllable = 0.1 + 0.2 * r.uniform(); // seconds
  for (let i = 0; i < data.length; i++) {
    const t = i / 16000;
    let v = 0;
    for (let k = 1; k <= harmonics; k++) v += Math.sin(2 * Math.PI * f0 * k * t + phase * k) / k;
    const env = 0.5 + 0.5 * Math.sin((Math.PI * t) / syllable + phase);
    data[i] = 0.3 * env * v / 1.5 + 0.01 * r.normal();
  }
}
