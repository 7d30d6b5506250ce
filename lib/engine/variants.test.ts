import { describe, expect, it } from 'vitest';
import type { Outputs } from '../tensor/types.js';
import { agreement, isVariantSource, makeFeeds } from './variants.js';

describe('model variants', () => {
  it('tells a variant source from the other sources', () => {
    expect(isVariantSource({ variants: { f32: '/a.onnx' } })).toBe(true);
    expect(isVariantSource('/a.onnx')).toBe(false);
    expect(isVariantSource(new Uint8Array(4))).toBe(false);
    expect(isVariantSource(new URL('http://x/a.onnx'))).toBe(false);
  });

  it('makes seeded inputs from metadata: free dims 1, floats in [0, 1), token ids small', () => {
    const inputs = [
      { name: 'x', type: 'float32' as const, dims: ['batch', 3] },
      { name: 'ids', type: 'int64' as const, dims: [2] },
    ];
    const a = makeFeeds(inputs);
    expect(a.x.dims).toEqual([1, 3]);
    expect([...(a.x.data as Float32Array)].every((v) => v >= 0 && v < 1)).toBe(true);
    expect([...(a.ids.data as BigInt64Array)].every((v) => v >= 0n && v < 10n)).toBe(true);
    expect(makeFeeds(inputs)).toEqual(a);
    expect(() => makeFeeds([{ name: 's', type: 'string', dims: [1] }])).toThrow(/no test values/);
  });

  it('agreement is the least cosine over float outputs, the share of equal elements over integer ones', () => {
    const f = (data: number[]) => ({ type: 'float32' as const, dims: [data.length], data: Float32Array.from(data) });
    const ref: Outputs = { y: f([1, 2, 3]), z: f([1, 0, 0]) };
    expect(agreement(ref, { y: f([2, 4, 6]), z: f([1, 0, 0]) })).toBeCloseTo(1, 6);
    expect(agreement(ref, { y: f([1, 2, 3]), z: f([0, 1, 0]) })).toBeCloseTo(0, 6);
    expect(agreement(ref, { y: f([1, 2]), z: f([1, 0, 0]) })).toBe(0);
    const labels = (v: number[]) => ({ type: 'int64' as const, dims: [v.length], data: BigInt64Array.from(v, BigInt) });
    expect(agreement({ k: labels([1, 2, 3, 4]) }, { k: labels([1, 2, 0, 4]) })).toBe(0.75);
  });
});
