/**
 * WebGL runs static shapes only (and ignores freeDimensionOverrides), so a
 * model with a free dim (e.g. batch) gets one session per set of dim values
 * it is fed, built when a new one arrives and kept, a few at most. The page
 * then sends any batch it likes, as on every other backend.
 */
import type * as Ort from 'onnxruntime-web';
import { decodeModel, encodeModel, fixSymbolicDims, type ModelProto } from '../onnx/index.js';
import { InputShapeError } from '../errors/index.js';
import { getNamed } from '../tensor/named.js';
import type { Feeds, ValueInfo } from '../tensor/types.js';

export const maxShapeSessions = 4;

type Build = (bytes: Uint8Array) => Promise<Ort.InferenceSession>;

export class ShapeSessions {
  /** Most recently used last. */
  private readonly sessions = new Map<string, Ort.InferenceSession>();
  /**
   * @param bytes the model with its symbolic dims (tensor names already safe)
   * @param inputs its graph inputs, under the names feeds arrive with
   */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly inputs: readonly ValueInfo[],
    private readonly defaults: Record<string, number>,
    private readonly build: Build,
  ) {}

  /**
   * Fixes the symbolic dims of `model` (decoded from `bytes`, changed in place) to `values`, 1 for the
   * rest: the bytes to build a session from, and the values used (none: `bytes` as they are).
   */
  static fix(model: ModelProto, bytes: Uint8Array, values: Record<string, number>): { bytes: Uint8Array; fixed: Record<string, number> } {
    const fixed = fixSymbolicDims(model, values);
    return { bytes: Object.keys(fixed).length ? encodeModel(model) : bytes, fixed };
  }

  add(values: Record<string, number>, session: Ort.InferenceSession): void {
    this.sessions.set(keyOf(values), session);
  }

  /** The session for the dim values `feeds` carry, built now if it is new. */
  async sessionFor(feeds: Feeds): Promise<Ort.InferenceSession> {
    const values = { ...this.defaults, ...this.valuesOf(feeds) };
    const key = keyOf(values);
    const known = this.sessions.get(key);
    if (known) {
      this.sessions.delete(key);
      this.sessions.set(key, known);
      return known;
    }
    const session = await this.build(ShapeSessions.fix(decodeModel(this.bytes), this.bytes, values).bytes);
    this.sessions.set(key, session);
    for (const [old, s] of this.sessions) {
      if (this.sessions.size <= maxShapeSessions) break;
      this.sessions.delete(old);
      void s.release(); // WebGL textures and programs go with it
    }
    return session;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.release()));
  }

  private valuesOf(feeds: Feeds): Record<string, number> {
    const values: Record<string, number> = {};
    for (const input of this.inputs) {
      const dims = getNamed(feeds, input.name)?.dims;
      if (!dims) continue;
      input.dims?.forEach((d, i) => {
        if (typeof d !== 'string' || dims[i] === undefined) return;
        if (values[d] !== undefined && values[d] !== dims[i]) {
          throw new InputShapeError(`Dim '${d}' is ${values[d]} in one input and ${dims[i]} in '${input.name}'`, { dim: d, input: input.name });
        }
        values[d] = dims[i];
      });
    }
    return values;
  }
}

function keyOf(values: Record<string, number>): string {
  return JSON.stringify(Object.entries(values).sort(([a], [b]) => (a < b ? -1 : 1)));
}
