import { describe, expect, it } from 'vitest';
import { RangeCollector } from './calibrate.js';
import { paramsFor, quantizeWeight, roundHalfEven } from './params.js';
import { seededRandom } from './testing.js';

describe('calibration ranges', () => {
  const rand = seededRandom(9);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const c = new RangeCollector();
  for (let b = 0; b < 5; b++) c.add(Float32Array.from({ length: 20000 }, normal).map((v, i) => (b === 4 && i === 0 ? 50 : v * (b + 1) * 0.3)));

  it('minmax keeps the extremes, outlier included', () => {
    expect(c.range({ method: 'minmax' }).max).toBe(50);
  });

  it('percentile and entropy clip the lone outlier but keep the bulk', () => {
    for (const method of ['percentile', 'entropy'] as const) {
      const r = c.range({ method, percentile: 99.99 });
      expect(r.max).toBeLessThan(10);
      expect(r.max).toBeGreaterThan(1.5);
      expect(r.min).toBeLessThan(-1.5);
    }
  });
});

describe('quantization parameters', () => {
  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2]);
  });

  it('chooses scale and zero point that represent 0 exactly', () => {
    expect(paramsFor(-1, 3, 'uint8', false)).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 64 });
    expect(paramsFor(0.5, 2, 'int8', true)).toEqual({ scale: Math.fround(2 / 127), zeroPoint: 0 });
    expect(paramsFor(-2, 1, 'uint8', true).zeroPoint).toBe(128);
  });

  it('quantizes per channel along an axis', () => {
    const q = quantizeWeight(Float32Array.from([1, -2, 10, 5]), [2, 2], 'int8', true, 0);
    expect([...q.scale]).toEqual([Math.fround(2 / 127), Math.fround(10 / 127)]);
    expect([...q.data]).toEqual([64, -127, 127, 64]);
  });
});
