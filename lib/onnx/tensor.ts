import type { TensorType } from '../tensor/types.js';
import { dataTypeOf, tensorTypeOf } from './inspect.js';
import { onnx, toNumber, type TensorProto } from './model.js';

type NumericArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

const arrayOf: Partial<Record<TensorType, { new (buffer: ArrayBufferLike, offset?: number, length?: number): NumericArray; BYTES_PER_ELEMENT: number }>> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  float16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

/** Builds a TensorProto holding `data` as little-endian raw bytes. */
export function makeTensor(name: string, type: TensorType, dims: readonly number[], data: ArrayLike<number> | ArrayLike<bigint>): TensorProto {
  const Ctor = arrayOf[type];
  if (!Ctor) throw new Error(`makeTensor: unsupported type ${type}`);
  const typed = new (Ctor as unknown as new (n: number) => NumericArray)(data.length);
  (typed as unknown as { set(a: ArrayLike<unknown>): void }).set(data as ArrayLike<unknown>);
  return onnx.TensorProto.create({
    name,
    dataType: dataTypeOf(type),
    dims: [...dims],
    rawData: new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength),
  });
}

/** Reads a TensorProto's values (raw_data or the typed repeated fields) into a fresh typed array. */
export function readTensor(t: TensorProto): { type: TensorType | 'unknown'; dims: number[]; data: NumericArray } {
  const type = tensorTypeOf(t.dataType ?? 0);
  const dims = (t.dims ?? []).map(toNumber);
  const Ctor = type === 'unknown' ? undefined : arrayOf[type];
  if (!Ctor) throw new Error(`readTensor: unsupported data type ${t.dataType} in '${t.name}'`);
  const count = dims.reduce((n, d) => n * d, 1);
  if (t.rawData && t.rawData.byteLength > 0) {
    // Copy into an aligned buffer: raw_data can sit at any offset inside the model bytes.
    // (Not .slice(): in Node, protobufjs hands out Buffers, whose slice() is a view.)
    const bytes = new Uint8Array(t.rawData.byteLength);
    bytes.set(t.rawData);
    return { type, dims, data: new Ctor(bytes.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT) };
  }
  const out = new (Ctor as unknown as new (n: number) => NumericArray)(count);
  const fill = (values: ArrayLike<unknown> | null | undefined, map: (v: never) => number | bigint) => {
    for (let i = 0; i < count && values && i < values.length; i++) (out as unknown as Array<number | bigint>)[i] = map(values[i] as never);
  };
  if (type === 'float32') fill(t.floatData, (v: number) => v);
  else if (type === 'float64') fill(t.doubleData, (v: number) => v);
  else if (type === 'int64') fill(t.int64Data, (v: number | { toString(): string }) => BigInt(v.toString()));
  else if (type === 'uint64') fill(t.uint64Data, (v: number | { toString(): string }) => BigInt(v.toString()));
  else if (type === 'uint32') fill(t.uint64Data, (v: number | { toNumber(): number }) => toNumber(v));
  else fill(t.int32Data, (v: number) => v); // int8/uint8/int16/uint16/int32/bool/float16 live in int32_data
  return { type, dims, data: out };
}
