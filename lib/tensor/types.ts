/** Element types, named as onnxruntime-web names them. */
export type TensorType =
  | 'float32'
  | 'float16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

export type TensorData =
  | Float32Array
  | Float64Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | string[];

/**
 * A plain tensor: the same fields as `ort.Tensor`, so the main thread never
 * needs onnxruntime-web, and the data buffer can be transferred to a worker.
 */
export interface Tensor {
  type: TensorType;
  data: TensorData;
  dims: readonly number[];
}

export type Feeds = Record<string, Tensor>;
export type Outputs = Record<string, Tensor>;

/** One dim of a model input: a number when fixed, a name (or null) when symbolic. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  type: TensorType | 'unknown';
  /** `null` when the model declares no shape at all. */
  dims: Dim[] | null;
}

/** The typed array each element type uses. */
export const arrayTypeOf: Record<Exclude<TensorType, 'string'>, string> = {
  float32: 'Float32Array',
  float16: 'Uint16Array',
  float64: 'Float64Array',
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  int32: 'Int32Array',
  uint32: 'Uint32Array',
  int64: 'BigInt64Array',
  uint64: 'BigUint64Array',
  bool: 'Uint8Array',
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}
