import type { Outputs } from '../tensor/types.js';
import { getNamed } from '../tensor/named.js';

export interface Agreement {
  maxAbsDiff: number;
  /** Cosine similarity over all outputs flattened together. */
  cosine: number;
  /** Largest |reference| value, the scale maxAbsDiff is judged against. */
  scale: number;
}

/** How closely `actual` matches `reference`, output by output (names and sizes must match). */
export function agreement(reference: Outputs, actual: Outputs): Agreement | string {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let maxAbsDiff = 0;
  let scale = 0;
  for (const [name, ref] of Object.entries(reference)) {
    const got = getNamed(actual, name);
    if (!got) return `output '${name}' is missing`;
    if (got.data.length !== ref.data.length) return `output '${name}' has ${got.data.length} values, the reference ${ref.data.length}`;
    for (let i = 0; i < ref.data.length; i++) {
      const a = Number(ref.data[i]);
      const b = Number(got.data[i]);
      if (!Number.isFinite(b) && Number.isFinite(a)) return `output '${name}' has a non-finite value at ${i}`;
      dot += a * b;
      na += a * a;
      nb += b * b;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a - b));
      scale = Math.max(scale, Math.abs(a));
    }
  }
  const cosine = na === 0 && nb === 0 ? 1 : dot / (Math.sqrt(na) * Math.sqrt(nb) || 1);
  return { maxAbsDiff, cosine, scale };
}
