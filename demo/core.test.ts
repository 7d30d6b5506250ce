/**
 * The demo's pure pre- and post-processing: MNIST centring, CTC decoding,
 * det boxes, crops and histogram bins. (Run by vitest when its include has demo/.)
 */
import { describe, expect, it } from 'vitest';
import { barLayout } from './waterfall.js';
import { histogram } from './charts-data.js';
import { exampleStrokes, softmax, toMnist, topK, type InkImage } from './digits-core.js';
import { contentBox, crop, ctcGreedy, detBoxes, grow, lineBreaks, outline, readingOrder, recInput, type Rgba } from './ocr-core.js';

function blank(width: number, height: number): InkImage {
  return { width, height, ink: new Float32Array(width * height) };
}

describe('toMnist', () => {
  it('is null for an empty drawing', () => {
    expect(toMnist(blank(100, 100))).toBeNull();
  });

  it('scales the ink into 20×20 and centres its mass in 28×28', () => {
    const img = blank(200, 200);
    // A vertical bar in the top-left corner: 10 wide, 80 tall.
    for (let y = 10; y < 90; y++) for (let x = 10; x < 20; x++) img.ink[y * 200 + x] = 1;
    const out = toMnist(img)!;
    let mass = 0;
    let cx = 0;
    let cy = 0;
    let rows = 0;
    for (let y = 0; y < 28; y++) {
      let any = false;
      for (let x = 0; x < 28; x++) {
        const v = out[y * 28 + x];
        mass += v;
        cx += v * x;
        cy += v * y;
        if (v > 0.5) any = true;
      }
      if (any) rows++;
    }
    expect(rows).toBe(20); // the long side fills 20 pixels
    expect(Math.abs(cx / mass - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy / mass - 13.5)).toBeLessThanOrEqual(0.5);
    expect(mass / 20).toBeCloseTo(2.5, 1); // 10/80 of 20 → 2.5 pixels wide
  });

  it('has example strokes for every digit', () => {
    for (let d = 0; d <= 9; d++) expect(exampleStrokes(d).length).toBeGreaterThan(0);
  });
});

describe('softmax and topK', () => {
  it('turns logits into probabilities and ranks them', () => {
    const p = softmax([1, 3, 2]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(topK(p, 2).map((t) => t.label)).toEqual([1, 2]);
  });
});

describe('ctcGreedy', () => {
  const keys = ['a', 'b'];
  /** One-hot frames: class per frame; C = keys + blank + space = 4. */
  const frames = (classes: number[]) => {
    const probs = new Float32Array(classes.length * 4);
    classes.forEach((c, t) => (probs[t * 4 + c] = 0.9));
    return { probs, dims: [1, classes.length, 4] };
  };

  it('merges repeats, drops blanks, keeps a repeat split by a blank, and maps the last class to a space', () => {
    const { probs, dims } = frames([1, 1, 0, 1, 2, 2, 3, 2]);
    expect(ctcGreedy(probs, dims, keys)).toEqual({ text: 'aab b', confidence: expect.closeTo(0.9, 5) });
  });
});

describe('det post-processing', () => {
  it('finds one box per text region, grown by the unclip distance, in reading order', () => {
    const W = 64;
    const H = 32;
    const prob = new Float32Array(W * H);
    const fill = (x0: number, y0: number, x1: number, y1: number) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) prob[y * W + x] = 0.9;
    };
    fill(40, 4, 60, 8); // second word, first line
    fill(4, 4, 30, 8); // first word, first line
    fill(4, 20, 30, 24); // second line
    fill(50, 28, 51, 29); // a speck: dropped
    const boxes = detBoxes(prob, [1, 1, H, W], 2, 2);
    expect(boxes).toHaveLength(3);
    expect(boxes[0].x).toBeLessThan(boxes[1].x);
    expect(boxes[2].y).toBeGreaterThan(boxes[0].y);
    // 26×4 region: d = 26·4·1.5 / (2·30) = 2.6, then ×2 for the scale.
    expect(boxes[0].x).toBeCloseTo((4 - 2.6) * 2, 5);
    expect(boxes[0].h).toBeCloseTo((4 + 5.2) * 2, 5);
    expect(lineBreaks(boxes)).toEqual([false, false, true]);
    expect(readingOrder([boxes[2], boxes[1], boxes[0]])).toEqual(boxes);
  });
});

describe('crops', () => {
  const img: Rgba = { width: 4, height: 2, data: new Uint8ClampedArray(4 * 2 * 4).fill(255) };
  img.data.set([0, 0, 0, 255], (1 * 4 + 2) * 4); // one black pixel at (2, 1)

  it('finds the content box against the background', () => {
    expect(contentBox(img)).toMatchObject({ x: 2, y: 1, w: 1, h: 1 });
  });

  it('repeats edge pixels outside the image', () => {
    const c = crop(img, grow({ x: 2, y: 1, w: 1, h: 1, score: 1 }, 1));
    expect([c.width, c.height]).toEqual([3, 3]);
    // The bottom row lies outside the image and repeats row 1, which has the black pixel in its middle.
    expect(Array.from(c.data.subarray((2 * 3 + 1) * 4, (2 * 3 + 1) * 4 + 3))).toEqual([0, 0, 0]);
  });

  it('outlines a box with room around it (the region rec reads), kept inside the image', () => {
    // A 40 × 20 box, its left edge on the first glyph: the outline leaves a quarter of its height (5 px) around it.
    expect(outline({ x: 30, y: 40, w: 40, h: 20, score: 1 }, 200, 100)).toMatchObject({ x: 25, y: 35, w: 50, h: 30 });
    // Near the edges it stops at the image.
    expect(outline({ x: 2, y: 85, w: 40, h: 20, score: 1 }, 200, 100)).toMatchObject({ x: 0, y: 80, w: 47, h: 20 });
  });

  it('makes rec inputs 48 high, a multiple of 8 wide, in [-1, 1]', () => {
    const t = recInput(img);
    expect(t.dims[2]).toBe(48);
    expect(t.dims[3] % 8).toBe(0);
    const data = t.data as Float32Array;
    expect(Math.max(...data)).toBeLessThanOrEqual(1);
    expect(Math.min(...data)).toBeGreaterThanOrEqual(-1);
  });
});

describe('histogram bins', () => {
  it('puts values in log bins and trims the empty ends', () => {
    const { labels, counts } = histogram([0.5, 0.55, 12, 1200]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(counts[0]).toBe(2);
    expect(counts.at(-1)).toBe(1);
    expect(labels[0]).toBe('0.40–0.63');
  });
});

describe('load waterfall layout', () => {
  it('places each step on one axis as long as the last end', () => {
    const layout = barLayout([
      { step: 'bytes', start: 0, end: 500 },
      { step: 'ort-init', start: 100, end: 300 },
      { step: 'session', start: 500, end: 1000 },
    ]);
    expect(layout).toEqual([
      { left: 0, width: 50 },
      { left: 10, width: 20 },
      { left: 50, width: 50 },
    ]);
  });
});
