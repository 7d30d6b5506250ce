import { PageInferError } from '../errors/index.js';
import type { Feeds, ValueInfo } from '../tensor/types.js';
import { zeroFeeds } from '../tensor/zeros.js';
import { setNamed } from '../tensor/named.js';

/**
 * Probe inputs: the caller's (tiled along the batch dim for other batch sizes),
 * or seeded random values shaped by the model's dims and `overrides`.
 */
export function probeFeeds(inputs: readonly ValueInfo[], given?: Feeds, overrides?: Record<string, number>): (rows: number) => Feeds {
  const cache = new Map<number, Feeds>();
  return (rows) => {
    let feeds = cache.get(rows);
    if (feeds) return feeds;
    if (given) feeds = tileRows(given, rows);
    else {
      const zero = zeroFeeds(inputs, rows, overrides);
      if (!zero) throw new PageInferError('tuning needs probe inputs: an input has a dim with no known size (pass tune.inputs or freeDimensionOverrides)');
      let seed = 12345;
      for (const t of Object.values(zero)) {
        if (t.data instanceof Float32Array || t.data instanceof Float64Array) {
          const d = t.data as Float32Array;
          for (let i = 0; i < d.length; i++) d[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) * 2 - 1;
        }
      }
      feeds = zero;
    }
    cache.set(rows, feeds);
    return feeds;
  };
}

/** `feeds` with `rows` rows: its own rows repeated (or the first ones kept). */
function tileRows(feeds: Feeds, rows: number): Feeds {
  const out: Feeds = {};
  for (const [name, t] of Object.entries(feeds)) {
    if (t.dims[0] === rows || Array.isArray(t.data)) {
      setNamed(out, name, t);
      continue;
    }
    const rowSize = t.dims.slice(1).reduce((a, b) => a * b, 1);
    const have = t.dims[0];
    const src = t.data as Float32Array;
    const data = new (src.constructor as new (n: number) => Float32Array)(rows * rowSize);
    for (let r = 0; r < rows; r++) data.set(src.subarray((r % have) * rowSize, (r % have + 1) * rowSize), r * rowSize);
    setNamed(out, name, { type: t.type, data, dims: [rows, ...t.dims.slice(1)] });
  }
  return out;
}
