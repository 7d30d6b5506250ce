/**
 * PP-OCR pre- and post-processing, written for this demo: line images to rec
 * inputs, greedy CTC decoding, page images to det inputs, and probability
 * maps to boxes. Pure functions over RGBA buffers: no DOM.
 */
import type { Tensor } from '../lib/index.js';

export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Mean text probability inside the box. */
  score: number;
}

/** Bilinear sample of channel `c` at (x, y) in pixel-centre coordinates. */
function sample(img: Rgba, x: number, y: number, c: number): number {
  const x0 = Math.max(0, Math.min(img.width - 1, Math.floor(x)));
  const y0 = Math.max(0, Math.min(img.height - 1, Math.floor(y)));
  const x1 = Math.min(img.width - 1, x0 + 1);
  const y1 = Math.min(img.height - 1, y0 + 1);
  const fx = Math.max(0, Math.min(1, x - x0));
  const fy = Math.max(0, Math.min(1, y - y0));
  const at = (xx: number, yy: number) => img.data[(yy * img.width + xx) * 4 + c];
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

/**
 * Resamples `img` to outW × outH (area-averaged when shrinking, bilinear when
 * growing) into planar channels, BGR order as PaddleOCR reads images with OpenCV.
 * `norm(v, c)` maps 0–255 to the model's range. Transparent pixels count as white.
 */
function toPlanar(img: Rgba, outW: number, outH: number, planeW: number, norm: (v: number, c: number) => number, pad: number): Float32Array {
  const plane = planeW * outH;
  const data = new Float32Array(3 * plane).fill(pad);
  const sx = img.width / outW;
  const sy = img.height / outH;
  const nx = Math.max(1, Math.round(sx));
  const ny = Math.max(1, Math.round(sy));
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        let a = 0;
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const px = (x + (i + 0.5) / nx) * sx - 0.5;
            const py = (y + (j + 0.5) / ny) * sy - 0.5;
            s += sample(img, px, py, 2 - c); // B, G, R
            a += sample(img, px, py, 3);
          }
        }
        const n = nx * ny;
        const alpha = a / n / 255;
        const v = (s / n) * alpha + 255 * (1 - alpha);
        data[c * plane + y * planeW + x] = norm(v, c);
      }
    }
  }
  return data;
}

/** A text-line image as PP-OCRv4 rec input x[1, 3, 48, W]: height 48, aspect kept, W a multiple of 8, values in [-1, 1]. */
export function recInput(img: Rgba, height = 48): Tensor {
  const w = Math.max(8, Math.round((img.width * height) / img.height));
  const width = Math.ceil(w / 8) * 8;
  const data = toPlanar(img, w, height, width, (v) => v / 127.5 - 1, 1);
  return { type: 'float32', data, dims: [1, 3, height, width] };
}

/** Greedy CTC: best class per frame, repeats merged, blanks (class 0) dropped. Class k ≥ 1 is keys[k-1]; past the keys it is a space. */
export function ctcGreedy(probs: Float32Array, dims: readonly number[], keys: readonly string[]): { text: string; confidence: number } {
  const T = dims[1];
  const C = dims[2];
  let text = '';
  let prev = 0;
  let sum = 0;
  let n = 0;
  for (let t = 0; t < T; t++) {
    let best = 0;
    let bestP = probs[t * C];
    for (let c = 1; c < C; c++) {
      const p = probs[t * C + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) {
      text += best - 1 < keys.length ? keys[best - 1] : ' ';
      sum += bestP;
      n++;
    }
    prev = best;
  }
  return { text, confidence: n ? sum / n : 0 };
}

const detMean = [0.485, 0.456, 0.406];
const detStd = [0.229, 0.224, 0.225];

/** A page image as PP-OCRv4 det input: longest side at most `limit`, both sides multiples of 32, ImageNet-normalised. */
export function detInput(img: Rgba, limit = 960): { tensor: Tensor; scaleX: number; scaleY: number } {
  const ratio = Math.min(1, limit / Math.max(img.width, img.height));
  const W = Math.max(32, Math.round((img.width * ratio) / 32) * 32);
  const H = Math.max(32, Math.round((img.height * ratio) / 32) * 32);
  const data = toPlanar(img, W, H, W, (v, c) => (v / 255 - detMean[c]) / detStd[c], 0);
  return { tensor: { type: 'float32', data, dims: [1, 3, H, W] }, scaleX: img.width / W, scaleY: img.height / H };
}

/**
 * Boxes from a det probability map [1, 1, H, W]: pixels above `threshold`,
 * grouped into 8-connected regions; regions whose mean probability is below
 * `boxThreshold` or that are tiny are dropped; each box is grown by
 * area × unclipRatio / perimeter on every side (PP-OCR's "unclip", for upright
 * rectangles), and scaled back to the source image.
 */
export function detBoxes(
  prob: Float32Array,
  dims: readonly number[],
  scaleX: number,
  scaleY: number,
  { threshold = 0.3, boxThreshold = 0.6, unclipRatio = 1.5, minSize = 3 } = {},
): Box[] {
  const H = dims[2];
  const W = dims[3];
  const seen = new Uint8Array(W * H);
  const boxes: Box[] = [];
  const stack: number[] = [];
  for (let start = 0; start < W * H; start++) {
    if (seen[start] || prob[start] <= threshold) continue;
    let minX = W;
    let minY = H;
    let maxX = 0;
    let maxY = 0;
    let sum = 0;
    let count = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % W;
      const y = (i - x) / W;
      sum += prob[i];
      count++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
          const j = yy * W + xx;
          if (!seen[j] && prob[j] > threshold) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    const w = maxX - minX + 1;
    const h = maxY - minY + 1;
    const score = sum / count;
    if (Math.min(w, h) < minSize || score < boxThreshold) continue;
    const d = (w * h * unclipRatio) / (2 * (w + h));
    const x0 = Math.max(0, minX - d);
    const y0 = Math.max(0, minY - d);
    const x1 = Math.min(W, maxX + 1 + d);
    const y1 = Math.min(H, maxY + 1 + d);
    boxes.push({ x: x0 * scaleX, y: y0 * scaleY, w: (x1 - x0) * scaleX, h: (y1 - y0) * scaleY, score });
  }
  return readingOrder(boxes);
}

/** Top to bottom by line (boxes overlapping vertically by half share a line), then left to right. */
export function readingOrder(boxes: Box[]): Box[] {
  const sorted = [...boxes].sort((a, b) => a.y + a.h / 2 - (b.y + b.h / 2));
  const lines: Box[][] = [];
  for (const b of sorted) {
    const line = lines.find((l) => {
      const ref = l[0];
      const overlap = Math.min(ref.y + ref.h, b.y + b.h) - Math.max(ref.y, b.y);
      return overlap > 0.5 * Math.min(ref.h, b.h);
    });
    if (line) line.push(b);
    else lines.push([b]);
  }
  return lines.flatMap((l) => l.sort((a, b) => a.x - b.x));
}

/** Groups boxes (already in reading order) into lines, for joining words with spaces and lines with newlines. */
export function lineBreaks(boxes: Box[]): boolean[] {
  return boxes.map((b, i) => {
    if (i === 0) return false;
    const a = boxes[i - 1];
    const overlap = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    return overlap <= 0.5 * Math.min(a.h, b.h);
  });
}

/** A box grown by `margin` × its height on every side: PP-OCR rec reads best when the text fills about half the line height. */
export function grow(box: Box, margin = 0.25): Box {
  const d = box.h * margin;
  return { ...box, x: box.x - d, y: box.y - d, w: box.w + 2 * d, h: box.h + 2 * d };
}

/**
 * The rectangle to outline for a detected box: the region recognition reads (`grow`), kept inside the
 * image. Det boxes hug the glyphs, so a line drawn on one would cover the edge of the first glyph.
 */
export function outline(box: Box, width: number, height: number): Box {
  const g = grow(box);
  const x = Math.max(0, g.x);
  const y = Math.max(0, g.y);
  return { ...box, x, y, w: Math.min(width, g.x + g.w) - x, h: Math.min(height, g.y + g.h) - y };
}

/** The box around everything that differs from the background (the top-left pixel's colour), or null for a blank image. */
export function contentBox(img: Rgba, tolerance = 48): Box | null {
  const lum = (i: number) => 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2];
  const bg = lum(0);
  let minX = img.width;
  let minY = img.height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (Math.abs(lum((y * img.width + x) * 4) - bg) < tolerance) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? null : { x: minX, y: minY, w: maxX - minX + 1, h: maxY - minY + 1, score: 1 };
}

/** Copies a box out of an RGBA image; parts outside the image repeat its edge pixels. */
export function crop(img: Rgba, box: Box): Rgba {
  const x0 = Math.floor(box.x);
  const y0 = Math.floor(box.y);
  const width = Math.max(1, Math.ceil(box.x + box.w) - x0);
  const height = Math.max(1, Math.ceil(box.y + box.h) - y0);
  const data = new Uint8ClampedArray(width * height * 4);
  const clampX = (x: number) => Math.max(0, Math.min(img.width - 1, x));
  for (let y = 0; y < height; y++) {
    const sy = Math.max(0, Math.min(img.height - 1, y0 + y));
    for (let x = 0; x < width; x++) {
      const si = (sy * img.width + clampX(x0 + x)) * 4;
      data.set(img.data.subarray(si, si + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}
