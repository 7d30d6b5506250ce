import { describe, expect, it } from 'vitest';
import { percentile, quantile } from './stats.js';

describe('quantile', () => {
  it('interpolates between ranks', () => {
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 0.25)).toBeCloseTo(1.75);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('percentile', () => {
  it('takes the nearest rank of sorted samples', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([], 95)).toBe(0);
  });
});
