/**
 * Renders text lines for PP-OCR rec tests without a browser: a 5×7 bitmap font
 * (digits and capitals), scaled up and box-blurred to look like anti-aliased
 * print, then normalised the way PP-OCR expects: x[1, 3, 48, W], (v/255 - 0.5) / 0.5.
 * Pure (no Node APIs): the e2e page renders with it too.
 *
 * Glyphs are 5 dots wide except where `WIDTH` says otherwise. The letter O is 7
 * wide: drawn 5 wide like the (slashed) zero, PP-OCRv4 float read it as '0' in
 * about half the words, with top-2 margins under 0.2 (e.g. O 0.51 / 0 0.44), so
 * int8-vs-float agreement measured coin flips. V has a narrower point for the
 * same reason (float read it as U).
 */
import type { Tensor } from '../../lib/tensor/types.js';

// Each glyph: 7 rows of 5 bits (WIDTH bits where given), most significant bit on the left.
const FONT: Record<string, number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31], '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14], '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14], '9': [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14], D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16], G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14], J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], P: [30, 17, 17, 30, 16, 16, 16],
  O: [62, 65, 65, 65, 65, 65, 62], Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17], S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14], V: [17, 17, 17, 10, 10, 4, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 10, 4, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31], ' ': [0, 0, 0, 0, 0, 0, 0],
};

/** Glyph widths in dots, where not 5. */
const WIDTH: Record<string, number> = { O: 7 };

export const renderableChars = Object.keys(FONT).filter((c) => c !== ' ');

/** Width in pixels of `text` drawn at `scale`, without margins. */
export function textWidth(text: string, scale: number): number {
  return [...text.toUpperCase()].reduce((n, ch) => n + ((WIDTH[ch] ?? 5) + 1) * scale, 0);
}

/** Draws `text` into `ink` (row-major, `width` wide; 1 = ink) with its top-left glyph corner at (left, top). */
export function drawText(ink: Float32Array, width: number, text: string, scale: number, left: number, top: number): void {
  for (const ch of [...text.toUpperCase()]) {
    const rows = FONT[ch] ?? FONT[' '];
    const w = WIDTH[ch] ?? 5;
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < w; c++) {
        if (!((rows[r] >> (w - 1 - c)) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) ink[(top + r * scale + dy) * width + left + c * scale + dx] = 1;
      }
    }
    left += (w + 1) * scale;
  }
}

/** 3×3 box blur (edges clamped), for the soft edges of anti-aliased print. */
export function blur(ink: Float32Array, width: number, height: number): Float32Array {
  const soft = new Float32Array(ink.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += ink[Math.min(height - 1, Math.max(0, y + dy)) * width + Math.min(width - 1, Math.max(0, x + dx))];
      soft[y * width + x] = s / 9;
    }
  }
  return soft;
}

/** Renders `text` as a PP-OCR rec input; `scale` is pixels per font dot. */
export function renderLine(text: string, scale = 4): Tensor {
  const H = 48;
  const width = Math.ceil((textWidth(text, scale) + 4 * scale) / 8) * 8;
  const ink = new Float32Array(H * width);
  drawText(ink, width, text, scale, 2 * scale, Math.floor((H - 7 * scale) / 2));
  const soft = blur(ink, width, H);
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
