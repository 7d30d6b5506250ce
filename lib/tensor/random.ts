/**
 * mulberry32: a tiny seeded 32-bit generator, uniform in [0, 1) as multiples of 2^-32. Integer
 * arithmetic only, so a seed gives the same sequence in Node and every browser. Used for inputs
 * made from a model's metadata (quantizer guard, variant checks) and the repo's test data.
 */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
