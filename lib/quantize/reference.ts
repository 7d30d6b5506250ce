/**
 * Independent reference math for the tests, written from the ONNX operator
 * definitions rather than from the quantizer's own helpers.
 */

export function rne(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** ONNX DynamicQuantizeLinear: uint8, range widened to include 0. */
export function dynamicQuantize(x: Float32Array): { q: Int32Array; scale: number; zp: number } {
  let min = 0, max = 0;
  for (const v of x) { min = Math.min(min, v); max = Math.max(max, v); }
  const scale = Math.fround((max - min) / 255) || 1;
  const zp = clamp(rne(-min / scale), 0, 255);
  return { q: Int32Array.from(x, (v) => clamp(rne(v / scale) + zp, 0, 255)), scale, zp };
}

/** Symmetric int8 weights, per tensor or per column of a [K, N] matrix / per output channel (axis 0). */
export function symmetricInt8(w: Float32Array, channels: number, channelOf: (i: number) => number): { q: Int32Array; scale: Float32Array } {
  const absMax = new Float32Array(channels);
  w.forEach((v, i) => { absMax[channelOf(i)] = Math.max(absMax[channelOf(i)], Math.abs(v)); });
  const scale = absMax.map((m) => Math.fround(m / 127) || 1);
  return { q: Int32Array.from(w, (v, i) => clamp(rne(v / scale[channelOf(i)]), -128, 127)), scale };
}

/** Quantize-then-dequantize with uint8 asymmetric params for [min, max] (range widened to include 0). */
export function fakeQuantUint8(x: Float32Array, min: number, max: number): Float32Array {
  const lo = Math.min(0, min), hi = Math.max(0, max);
  const scale = Math.fround((hi - lo) / 255) || 1;
  const zp = clamp(rne(-lo / scale), 0, 255);
  return x.map((v) => (clamp(rne(v / scale) + zp, 0, 255) - zp) * scale);
}

export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): Float32Array {
  const y = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
    y[i * N + j] = s;
  }
  return y;
}

/** NCHW convolution, stride 1, symmetric padding `pad`, weights [M, C/group, kh, kw]. */
export function conv2d(x: ArrayLike<number>, xd: number[], w: ArrayLike<number>, wd: number[], pad: number, group = 1): { y: Float32Array; dims: number[] } {
  const [N, C, H, W] = xd;
  const [M, Cg, KH, KW] = wd;
  const OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  const y = new Float32Array(N * M * OH * OW);
  const perGroup = M / group;
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) {
    const g = Math.floor(m / perGroup);
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      let s = 0;
      for (let c = 0; c < Cg; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
        const iy = oy + ky - pad, ix = ox + kx - pad;
        if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
        s += x[((n * C + g * Cg + c) * H + iy) * W + ix] * w[((m * Cg + c) * KH + ky) * KW + kx];
      }
      y[((n * M + m) * OH + oy) * OW + ox] = s;
    }
  }
  return { y, dims: [N, M, OH, OW] };
}
