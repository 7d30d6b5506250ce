import { InputShapeError, InputTypeError, MissingInputError, UnknownInputError } from '../errors/index.js';
import { arrayTypeOf, elementCount, type Feeds, type Tensor, type TensorType, type ValueInfo } from './types.js';
import { setNamed } from './named.js';

const tensorTypes = new Set<string>([...Object.keys(arrayTypeOf), 'string']);

function describeDims(dims: ValueInfo['dims']): string {
  return dims ? `[${dims.map((d) => (typeof d === 'number' ? d : (d ?? '?'))).join(', ')}]` : 'any shape';
}

function arrayName(data: unknown): string {
  if (Array.isArray(data)) return 'Array';
  return (data as object)?.constructor?.name ?? typeof data;
}

/**
 * Checks feeds against the model's declared inputs before anything crosses to
 * the worker, so mistakes come back as typed errors naming the input, not as
 * an ORT message from deep inside wasm. Plain number arrays become typed arrays.
 */
export function validateFeeds(feeds: unknown, inputs: readonly ValueInfo[]): Feeds {
  return feedValidator(inputs)(feeds);
}

/** validateFeeds for one model's inputs, with what does not change between requests worked out once. */
export function feedValidator(inputs: readonly ValueInfo[]): (feeds: unknown) => Feeds {
  const names = new Set(inputs.map((i) => i.name));
  return (feeds) => check(feeds, inputs, names);
}

function check(feeds: unknown, inputs: readonly ValueInfo[], names: ReadonlySet<string>): Feeds {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) {
    throw new InputTypeError('Feeds must be an object mapping input names to tensors', { expected: inputs.map((i) => i.name) });
  }
  const given = feeds as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!names.has(name)) {
      throw new UnknownInputError(`Unknown input '${name}'; the model's inputs are: ${inputs.map((i) => i.name).join(', ')}`, {
        input: name,
        expected: inputs.map((i) => i.name),
      });
    }
  }
  const symbols = new Map<string, { value: number; input: string }>();
  const out: Feeds = {};
  for (const info of inputs) {
    if (!Object.hasOwn(given, info.name)) {
      throw new MissingInputError(`Missing input '${info.name}' (${info.type} ${describeDims(info.dims)})`, {
        input: info.name,
        expectedType: info.type,
        expectedDims: info.dims,
      });
    }
    setNamed(out, info.name, checkTensor(info, given[info.name], symbols));
  }
  return out;
}

function checkTensor(info: ValueInfo, value: unknown, symbols: Map<string, { value: number; input: string }>): Tensor {
  const name = info.name;
  const t = value as Partial<Tensor> | null;
  if (typeof t !== 'object' || t === null || typeof t.type !== 'string' || !tensorTypes.has(t.type)) {
    throw new InputTypeError(`Input '${name}' must be a tensor { type, data, dims } with a known type`, { input: name, got: t?.type });
  }
  if (info.type !== 'unknown' && t.type !== info.type) {
    throw new InputTypeError(`Input '${name}' must be ${info.type}, got ${t.type}`, { input: name, expectedType: info.type, got: t.type });
  }
  const data = normalizeData(name, t.type as TensorType, t.data);
  const dims = t.dims;
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InputShapeError(`Input '${name}' dims must be an array of non-negative integers`, { input: name, got: dims });
  }
  if (elementCount(dims) !== data.length) {
    throw new InputShapeError(`Input '${name}' has ${data.length} elements but dims [${dims.join(', ')}] need ${elementCount(dims)}`, {
      input: name,
      dims,
      length: data.length,
    });
  }
  const expected = info.dims;
  if (expected) {
    const fail = (why: string) => {
      throw new InputShapeError(`Input '${name}' must have shape ${describeDims(expected)}, got [${dims.join(', ')}]: ${why}`, {
        input: name,
        expectedDims: expected,
        got: dims,
      });
    };
    if (dims.length !== expected.length) fail(`rank ${dims.length}, expected ${expected.length}`);
    expected.forEach((want, axis) => {
      const got = dims[axis];
      if (typeof want === 'number') {
        if (got !== want) fail(`dim ${axis} is ${got}, expected ${want}`);
      } else if (typeof want === 'string') {
        const seen = symbols.get(want);
        if (seen && seen.value !== got) fail(`'${want}' is ${seen.value} in input '${seen.input}' but ${got} here`);
        symbols.set(want, { value: got, input: name });
      }
    });
  }
  return { type: t.type as TensorType, data, dims: [...dims] };
}

function normalizeData(name: string, type: TensorType, data: unknown): Tensor['data'] {
  if (type === 'string') {
    if (Array.isArray(data) && data.every((s) => typeof s === 'string')) return data;
    throw new InputTypeError(`Input '${name}' (string) needs data as string[]`, { input: name, got: arrayName(data) });
  }
  const wanted = arrayTypeOf[type];
  if (Array.isArray(data)) {
    const Ctor = (globalThis as unknown as Record<string, new (a: ArrayLike<unknown>) => Tensor['data']>)[wanted];
    const isBig = type === 'int64' || type === 'uint64';
    if (!data.every((v) => (isBig ? typeof v === 'bigint' : typeof v === 'number'))) {
      throw new InputTypeError(`Input '${name}' data must hold ${isBig ? 'bigint' : 'number'} values for ${type}`, { input: name });
    }
    return new Ctor(data);
  }
  if (arrayName(data) !== wanted) {
    throw new InputTypeError(`Input '${name}' (${type}) needs data as ${wanted}, got ${arrayName(data)}`, {
      input: name,
      expected: wanted,
      got: arrayName(data),
    });
  }
  return data as Tensor['data'];
}
