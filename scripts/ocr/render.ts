/**
 * Renders text lines for PP-OCR rec tests without a browser: a 5×7 bitmap font
 * (digits and capitals), scaled up and box-blurred to look like anti-aliased
 * print, then normalised the way PP-OCR expects: x[1, 3, 48, W], (v/255 - 0.5) / 0.5.
 */
import type { Tensor } from '../../lib/tensor/types.js';

// Each glyph: 7 rows of 5 bits, most significant bit on the left.
const FONT: Record<string, number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31], '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14], '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14], '9': [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14], D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16], G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14], J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14], P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17], S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14], V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31], ' ': [0, 0, 0, 0, 0, 0, 0],
};

export const renderableChars = Object.keys(FONT).filter((c) => c !== ' ');

/** Renders `text` as a PP-OCR rec input; `scale` is pixels per font dot. */
export function renderLine(text: string, scale = 4): Tensor {
  const H = 48;
  const glyphW = 6 * scale; // 5 dots + 1 dot spacing
  const width = Math.ceil((text.length * glyphW + 4 * scale) / 8) * 8;
  const ink = new Float32Array(H * width);
  const top = Math.floor((H - 7 * scale) / 2);
  [...text.toUpperCase()].forEach((ch, k) => {
    const rows = FONT[ch] ?? FONT[' '];
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < 5; c++) {
        if (!((rows[r] >> (4 - c)) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) ink[(top + r * scale + dy) * width + 2 * scale + k * glyphW + c * scale + dx] = 1;
      }
    }
  });
  // 3×3 box blur for soft edges.
  const soft = new Float32Array(ink.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += ink[Math.min(H - 1, Math.max(0, y + dy)) * width + Math.min(width - 1, Math.max(0, x + dx))];
      soft[y * width + x] = s / 9;
    }
  }
  const data = new Float32Array(3 * H * width);
  for (let c = 0; c < 3; c++) for (let i = 0; i < H * width; i++) data[c * H * width + i] = ((1 - soft[i]) * 255) / 127.5 - 1; // black ink on white
  return { type: 'float32', data, dims: [1, 3, H, width] };
}

/** Greedy CTC decoding of [1, T, C] probabilities with PP-OCR's key list (index 0 is blank, last is space). */
export function ctcDecode(probs: Float32Array, dims: readonly number[], keys: readonly string[]): string {
  const [, T, C] = dims;
  let out = '';
  let prev = -1;
  for (let t = 0; t < T; t++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[t * C + c] > probs[t * C + best]) best = c;
    if (best !== 0 && best !== prev) out += best - 1 < keys.length ? keys[best - 1] : ' ';
    prev = best;
  }
  return out;
}
