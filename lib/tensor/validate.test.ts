import { describe, expect, it } from 'vitest';
import { InputShapeError, InputTypeError, MissingInputError, UnknownInputError } from '../errors/index.js';
import type { ValueInfo } from './types.js';
import { validateFeeds } from './validate.js';

const inputs: ValueInfo[] = [
  { name: 'x', type: 'float32', dims: ['batch', 4] },
  { name: 'mask', type: 'int64', dims: ['batch'] },
];
const x = (batch: number) => ({ type: 'float32' as const, data: new Float32Array(batch * 4), dims: [batch, 4] });
const mask = (batch: number) => ({ type: 'int64' as const, data: new BigInt64Array(batch), dims: [batch] });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('validateFeeds', () => {
  it('accepts matching feeds and keeps the data arrays', () => {
    const feeds = { x: x(3), mask: mask(3) };
    const out = validateFeeds(feeds, inputs);
    expect(out.x.data).toBe(feeds.x.data);
    expect(out.mask.dims).toEqual([3]);
  });

  it('converts plain number arrays to the typed array of the type', () => {
    const out = validateFeeds({ x: { type: 'float32', data: [1, 2, 3, 4], dims: [1, 4] }, mask: mask(1) }, inputs);
    expect(out.x.data).toBeInstanceOf(Float32Array);
  });

  it('names an unknown input and lists the expected ones', () => {
    const e = thrown(() => validateFeeds({ x: x(1), mask: mask(1), y: x(1) }, inputs)) as UnknownInputError;
    expect(e).toBeInstanceOf(UnknownInputError);
    expect(e.code).toBe('UNKNOWN_INPUT');
    expect(e.details).toMatchObject({ input: 'y', expected: ['x', 'mask'] });
  });

  it('names a missing input with its type and shape', () => {
    const e = thrown(() => validateFeeds({ x: x(1) }, inputs)) as MissingInputError;
    expect(e).toBeInstanceOf(MissingInputError);
    expect(e.message).toContain("Missing input 'mask' (int64 [batch])");
  });

  it('rejects a wrong element type', () => {
    const e = thrown(() => validateFeeds({ x: { ...x(1), type: 'int32' }, mask: mask(1) }, inputs)) as InputTypeError;
    expect(e).toBeInstanceOf(InputTypeError);
    expect(e.details).toMatchObject({ input: 'x', expectedType: 'float32', got: 'int32' });
  });

  it('rejects data of the wrong array class', () => {
    const e = thrown(() => validateFeeds({ x: { ...x(1), data: new Float64Array(4) }, mask: mask(1) }, inputs));
    expect(e).toBeInstanceOf(InputTypeError);
    expect((e as Error).message).toContain('Float32Array, got Float64Array');
  });

  it('rejects a wrong rank, a wrong fixed dim, and a data length that does not match dims', () => {
    expect(thrown(() => validateFeeds({ x: { ...x(1), dims: [4] }, mask: mask(1) }, inputs))).toBeInstanceOf(InputShapeError);
    expect((thrown(() => validateFeeds({ x: { type: 'float32', data: new Float32Array(5), dims: [1, 5] }, mask: mask(1) }, inputs)) as Error).message).toContain(
      'dim 1 is 5, expected 4',
    );
    expect((thrown(() => validateFeeds({ x: { ...x(1), dims: [2, 4] }, mask: mask(2) }, inputs)) as Error).message).toContain('4 elements but dims [2, 4] need 8');
  });

  it('rejects a symbolic dim with different values across inputs', () => {
    const e = thrown(() => validateFeeds({ x: x(2), mask: mask(3) }, inputs)) as InputShapeError;
    expect(e.message).toContain("'batch' is 2 in input 'x' but 3 here");
  });

  it('rejects feeds that are not an object', () => {
    expect(thrown(() => validateFeeds(null, inputs))).toBeInstanceOf(InputTypeError);
  });
});
