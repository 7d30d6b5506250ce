import { seededUniform } from '../../lib/tensor/random.js';

/** Seeded randomness for reproducible training (mulberry32 + Box-Muller). */
export function seeded(seed: number): { uniform(): number; normal(): number; shuffle<T>(a: T[]): T[] } {
  const uniform = seededUniform(seed);
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
    shuffle<T>(arr: T[]): T[] {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(uniform() * (i + 1));
        [arr[i], arr[j]] = [arr[j], arr[i]];
      }
      return arr;
    },
  };
}
