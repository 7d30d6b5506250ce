import { arrayTypeOf, elementCount, type Feeds, type TensorData, type ValueInfo } from './types.js';

/**
 * All-zero feeds with `rows` in the batch dim, for measuring latency. Null
 * when an input has another dim with no known value (e.g. an image width).
 */
export function zeroFeeds(inputs: readonly ValueInfo[], rows: number, overrides: Record<string, number> = {}): Feeds | null {
  const feeds: Feeds = {};
  for (const input of inputs) {
    if (!input.dims || input.type === 'unknown' || input.type === 'string') return null;
    const dims: number[] = [];
    for (const [axis, d] of input.dims.entries()) {
      if (axis === 0) dims.push(rows);
      else if (typeof d === 'number') dims.push(d);
      else if (d && overrides[d] !== undefined) dims.push(overrides[d]);
      else return null;
    }
    const Ctor = (globalThis as unknown as Record<string, new (n: number) => TensorData>)[arrayTypeOf[input.type]];
    feeds[input.name] = { type: input.type, data: new Ctor(elementCount(dims)), dims };
  }
  return feeds;
}
