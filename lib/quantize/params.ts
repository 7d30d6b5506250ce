/**
 * Quantization arithmetic: scale/zero-point choice and rounding, shared by the
 * dynamic and static paths. Pure functions on typed arrays.
 */

export type QType = 'int8' | 'uint8';

/** Per-channel weight scales: everywhere (true), nowhere (false), or for Conv only ('conv', the default). */
export type PerChannel = boolean | 'conv';

/** The weight axis that gets its own scale (-1: per tensor). Conv weights are [M, C/g, k...]; MatMul/Gemm weights [K, N]. */
export const channelAxis = (perChannel: PerChannel, isConv: boolean): number => (perChannel === true || (perChannel === 'conv' && isConv) ? (isConv ? 0 : 1) : -1);

export interface QParams {
  /** One scale per channel (length 1 when per-tensor). */
  scale: Float32Array;
  zeroPoint: Int32Array;
}

export const qRange: Record<QType, { min: number; max: number }> = {
  int8: { min: -128, max: 127 },
  uint8: { min: 0, max: 255 },
};

/** Rounds half to even, as ONNX QuantizeLinear does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Scale and zero point covering [min, max] (always widened to include 0 so
 * zero padding is exact). Symmetric uses ±127 around zp 0 (int8) or 128 (uint8),
 * leaving -128 unused so that negation stays in range.
 */
export function paramsFor(min: number, max: number, type: QType, symmetric: boolean): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (symmetric) {
    const absMax = Math.max(-lo, hi);
    const scale = absMax > 0 ? absMax / 127 : 1;
    return { scale: Math.fround(scale), zeroPoint: type === 'int8' ? 0 : 128 };
  }
  const { min: qmin, max: qmax } = qRange[type];
  if (hi - lo <= 0) return { scale: 1, zeroPoint: type === 'int8' ? 0 : 0 };
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / scale)));
  return { scale, zeroPoint };
}

/** Quantizes one value: clamp(round(x / scale) + zp). */
export function quantizeValue(x: number, scale: number, zeroPoint: number, type: QType): number {
  const { min, max } = qRange[type];
  return Math.min(max, Math.max(min, roundHalfEven(x / scale) + zeroPoint));
}

/**
 * Splits `data` (row-major, `dims`) along `axis` and calls `visit(channel, index)`
 * for each element; axis = -1 means per-tensor (channel 0 for all).
 */
function forEachChannel(dims: readonly number[], axis: number, count: number, visit: (channel: number, i: number) => void): void {
  if (axis < 0) {
    for (let i = 0; i < count; i++) visit(0, i);
    return;
  }
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((n, d) => n * d, 1);
  for (let i = 0; i < count; i++) visit(Math.floor(i / inner) % channels, i);
}

export interface QuantizedWeight extends QParams {
  data: Int8Array | Uint8Array;
  type: QType;
  /** -1 for per-tensor. */
  axis: number;
}

/** Quantizes a float weight per tensor (axis -1) or per channel along `axis`. */
export function quantizeWeight(data: Float32Array, dims: readonly number[], type: QType, symmetric: boolean, axis = -1): QuantizedWeight {
  const channels = axis < 0 ? 1 : dims[axis];
  const mins = new Float64Array(channels).fill(Infinity);
  const maxs = new Float64Array(channels).fill(-Infinity);
  forEachChannel(dims, axis, data.length, (c, i) => {
    const v = data[i];
    if (v < mins[c]) mins[c] = v;
    if (v > maxs[c]) maxs[c] = v;
  });
  const scale = new Float32Array(channels);
  const zeroPoint = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const p = paramsFor(Number.isFinite(mins[c]) ? mins[c] : 0, Number.isFinite(maxs[c]) ? maxs[c] : 0, type, symmetric);
    scale[c] = p.scale;
    zeroPoint[c] = p.zeroPoint;
  }
  const out = type === 'int8' ? new Int8Array(data.length) : new Uint8Array(data.length);
  forEachChannel(dims, axis, data.length, (c, i) => {
    out[i] = quantizeValue(data[i], scale[c], zeroPoint[c], type);
  });
  return { data: out, type, axis, scale, zeroPoint };
}

/** Bias as int32 with scale inputScale * weightScale[c] and zero point 0 (what QLinearConv and QDQ Conv expect). */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScale: Float32Array): { data: Int32Array; scale: Float32Array } {
  const scale = new Float32Array(bias.length);
  const data = new Int32Array(bias.length);
  for (let i = 0; i < bias.length; i++) {
    const s = Math.fround(inputScale * weightScale[weightScale.length === 1 ? 0 : i]);
    scale[i] = s > 0 ? s : 1;
    data[i] = Math.max(-2147483648, Math.min(2147483647, roundHalfEven(bias[i] / scale[i])));
  }
  return { data, scale };
}
