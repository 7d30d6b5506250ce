import { InvalidModelError } from '../errors/index.js';
import type { ModelProto } from './model.js';
import { toNumber } from './model.js';

/**
 * Replaces symbolic dims (e.g. `batch`) of graph inputs and outputs with
 * concrete values, in the model itself. ORT's WebGL backend needs static
 * shapes and ignores `freeDimensionOverrides`, so this is the way to give it one.
 * Returns the names that were fixed and the values used.
 */
export function fixSymbolicDims(model: ModelProto, overrides: Record<string, number>, fallback = 1): Record<string, number> {
  const used: Record<string, number> = {};
  const graph = model.graph!;
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    for (const dim of v.type?.tensorType?.shape?.dim ?? []) {
      const fixed = dim.dimValue != null && toNumber(dim.dimValue) > 0;
      if (fixed) continue;
      const name = dim.dimParam || '?';
      const value = overrides[name] ?? fallback;
      if (!Number.isInteger(value) || value <= 0) {
        throw new InvalidModelError(`Dim override for '${name}' must be a positive integer, got ${value}`, { dim: name, value });
      }
      delete dim.dimParam; // a oneof: leaving it set would win over dimValue on the wire
      dim.dimValue = value;
      used[name] = value;
    }
  }
  return used;
}
