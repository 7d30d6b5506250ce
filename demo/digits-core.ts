/**
 * Turning a drawing into an MNIST input, the way MNIST digits were made:
 * the ink's bounding box scaled (aspect kept) into 20×20 with area averaging,
 * then placed in 28×28 so that its centre of mass is at the centre.
 * Pure functions: no DOM, unit-testable.
 */

/** Ink coverage per pixel in [0, 1], row-major. */
export interface InkImage {
  width: number;
  height: number;
  ink: Float32Array;
}

/** Alpha of an RGBA buffer as ink. */
export function inkFromRgba(rgba: Uint8ClampedArray, width: number, height: number): InkImage {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4 + 3] / 255;
  return { width, height, ink };
}

/** Weights of source cells [0, n) that fall in each of `out` equal slices of [start, start + span). */
function overlapWeights(n: number, start: number, span: number, out: number): Array<Array<[number, number]>> {
  const step = span / out;
  const rows: Array<Array<[number, number]>> = [];
  for (let j = 0; j < out; j++) {
    const a = start + j * step;
    const b = a + step;
    const cells: Array<[number, number]> = [];
    for (let i = Math.max(0, Math.floor(a)); i < Math.min(n, Math.ceil(b)); i++) {
      const w = Math.min(b, i + 1) - Math.max(a, i);
      if (w > 0) cells.push([i, w / step]);
    }
    rows.push(cells);
  }
  return rows;
}

/** Box-filter resampling of the square [x0, x0+side) × [y0, y0+side) of `img` to size × size. */
export function resampleSquare(img: InkImage, x0: number, y0: number, side: number, size: number): Float32Array {
  const wx = overlapWeights(img.width, x0, side, size);
  const wy = overlapWeights(img.height, y0, side, size);
  // Rows first: [img.height × size], then columns.
  const tmp = new Float32Array(img.height * size);
  for (let y = 0; y < img.height; y++) {
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (const [x, w] of wx[j]) s += img.ink[y * img.width + x] * w;
      tmp[y * size + j] = s;
    }
  }
  const out = new Float32Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (const [y, w] of wy[i]) s += tmp[y * size + j] * w;
      out[i * size + j] = Math.min(1, s);
    }
  }
  return out;
}

/** The 28×28 MNIST input for a drawing, or null when nothing is drawn. */
export function toMnist(img: InkImage, threshold = 0.05): Float32Array | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.ink[y * img.width + x] <= threshold) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  if (maxX < 0) return null;
  const w = maxX - minX + 1;
  const h = maxY - minY + 1;
  const side = Math.max(w, h);
  const box = resampleSquare(img, minX + w / 2 - side / 2, minY + h / 2 - side / 2, side, 20);

  // Centre of mass of the 20×20 box, moved to the centre of the 28×28 image.
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 20; x++) {
      const v = box[y * 20 + x];
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  const clamp = (v: number) => Math.max(0, Math.min(8, v));
  const offX = mass > 0 ? clamp(Math.round(13.5 - cx / mass)) : 4;
  const offY = mass > 0 ? clamp(Math.round(13.5 - cy / mass)) : 4;
  const out = new Float32Array(28 * 28);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) out[(y + offY) * 28 + x + offX] = box[y * 20 + x];
  return out;
}

/** Softmax of logits (numerically stable). */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** The k most likely classes, best first. */
export function topK(probs: ArrayLike<number>, k: number): Array<{ label: number; p: number }> {
  return Array.from(probs, (p, label) => ({ label, p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, k);
}

/** Example strokes per digit, in unit coordinates (0–1 across the canvas): for keyboard users and a quick look. */
export function exampleStrokes(digit: number): Array<Array<[number, number]>> {
  const arc = (cx: number, cy: number, rx: number, ry: number, from: number, to: number, n = 24) =>
    Array.from({ length: n + 1 }, (_, i) => {
      const t = from + ((to - from) * i) / n;
      return [cx + rx * Math.cos(t), cy + ry * Math.sin(t)] as [number, number];
    });
  switch (digit) {
    case 0:
      return [arc(0.5, 0.5, 0.2, 0.32, -Math.PI / 2, (3 * Math.PI) / 2, 40)];
    case 1:
      return [[[0.53, 0.16], [0.49, 0.84]]];
    case 2:
      return [[...arc(0.5, 0.33, 0.19, 0.17, Math.PI * 1.1, Math.PI * 2.25, 16), [0.3, 0.83], [0.74, 0.83]]];
    case 3:
      return [[...arc(0.48, 0.32, 0.18, 0.15, Math.PI * 1.15, Math.PI * 2.5, 16), ...arc(0.48, 0.66, 0.2, 0.18, -Math.PI / 2, Math.PI * 0.85, 16)]];
    case 4:
      return [[[0.58, 0.15], [0.27, 0.6], [0.77, 0.6]], [[0.6, 0.38], [0.6, 0.86]]];
    case 5:
      return [[[0.7, 0.17], [0.37, 0.17], [0.33, 0.47], ...arc(0.5, 0.63, 0.19, 0.19, -Math.PI * 0.75, Math.PI * 0.8, 16)]];
    case 6:
      return [[[0.64, 0.15], [0.46, 0.3], [0.34, 0.5], ...arc(0.5, 0.66, 0.17, 0.18, Math.PI, Math.PI * 3, 28)]];
    case 7:
      return [[[0.26, 0.2], [0.74, 0.2], [0.45, 0.85]]];
    case 8:
      return [
        Array.from({ length: 61 }, (_, i) => {
          const t = (i / 60) * Math.PI * 2;
          return [0.5 + 0.17 * Math.sin(2 * t), 0.5 - 0.34 * Math.cos(t)] as [number, number];
        }),
      ];
    case 9:
      return [[...arc(0.5, 0.35, 0.17, 0.17, 0, Math.PI * 2, 28), [0.66, 0.45], [0.62, 0.86]]];
    default:
      return [];
  }
}
