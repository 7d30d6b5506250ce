/**
 * Renders a "page" of text lines for PP-OCR det: black 5×7-font text on white,
 * x[1, 3, H, W] normalised the way PP-OCR det expects (ImageNet mean/std on v/255).
 * Also the mask of where ink was drawn, and a comparison of probability maps.
 */
import type { Tensor } from '../../lib/tensor/types.js';
import { blur, drawText, textWidth } from './render.js';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export interface PageLine {
  text: string;
  scale: number;
  left: number;
  top: number;
}

/** Lays out `texts` top to bottom with varying scales; H and W must be multiples of 32. */
export function layoutPage(texts: readonly string[], width: number, height: number, scales: readonly number[] = [2, 3, 4]): PageLine[] {
  const lines: PageLine[] = [];
  let top = 16;
  texts.forEach((text, i) => {
    const scale = scales[i % scales.length];
    if (top + 7 * scale + 16 > height || textWidth(text, scale) + 24 > width) return;
    lines.push({ text, scale, left: 16 + (i % 3) * 8, top });
    top += 7 * scale + 6 * scale;
  });
  return lines;
}

export function renderPage(lines: readonly PageLine[], width: number, height: number): Tensor {
  const ink = new Float32Array(width * height);
  for (const l of lines) drawText(ink, width, l.text, l.scale, l.left, l.top);
  const soft = blur(ink, width, height);
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++) for (let i = 0; i < width * height; i++) data[c * width * height + i] = (1 - soft[i] - MEAN[c]) / STD[c];
  return { type: 'float32', data, dims: [1, 3, height, width] };
}

/** Intersection over union of two probability maps thresholded at `t` (PP-OCR's default box threshold is 0.3). */
export function mapIoU(a: ArrayLike<number>, b: ArrayLike<number>, t = 0.3): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > t;
    const y = b[i] > t;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Share of each line's box (its glyph area) where the map exceeds `t`: the detector found the text. */
export function lineCoverage(map: ArrayLike<number>, width: number, lines: readonly PageLine[], t = 0.3): number[] {
  return lines.map((l) => {
    const w = textWidth(l.text, l.scale) - l.scale;
    const h = 7 * l.scale;
    let hit = 0;
    for (let y = l.top; y < l.top + h; y++) for (let x = l.left; x < l.left + w; x++) if (map[y * width + x] > t) hit++;
    return hit / (w * h);
  });
}
