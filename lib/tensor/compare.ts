/**
 * How far one model's outputs are from another's on the same inputs: what the quantizer's accuracy
 * guard checks int8 against float with, and what the engine checks a model's variants with.
 */
import type { Outputs } from './types.js';

export interface OutputComparison {
  output: string;
  /** Cosine similarity of all values over all evaluation inputs. */
  cosine: number;
  /** ‖actual − reference‖ / ‖reference‖ over all evaluation inputs. */
  relL2: number;
  maxAbs: number;
}

/** Compares outputs output by output (all, or those named), pooling all evaluation inputs. */
export function compareOutputs(reference: readonly Outputs[], actual: readonly Outputs[], only?: readonly string[]): OutputComparison[] {
  const names = only ?? Object.keys(reference[0] ?? {});
  return names.map((output) => {
    let dot = 0, na = 0, nb = 0, nd = 0, maxAbs = 0;
    reference.forEach((ref, k) => {
      const a = ref[output].data as ArrayLike<number>;
      const b = actual[k][output].data as ArrayLike<number>;
      for (let i = 0; i < a.length; i++) {
        const x = Number(a[i]);
        const y = Number(b[i]);
        dot += x * y;
        na += x * x;
        nb += y * y;
        nd += (x - y) * (x - y);
        maxAbs = Math.max(maxAbs, Math.abs(x - y));
      }
    });
    const cosine = na === 0 && nb === 0 ? 1 : dot / (Math.sqrt(na) * Math.sqrt(nb) || 1);
    const relL2 = na === 0 ? Math.sqrt(nd) : Math.sqrt(nd / na);
    return { output, cosine, relL2, maxAbs };
  });
}
