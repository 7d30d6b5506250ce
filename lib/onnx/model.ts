import onnxProto from 'onnx-proto';
import { InvalidModelError } from '../errors/index.js';

// onnx-proto is CommonJS; its namespace is the default export under ESM.
export const onnx = onnxProto.onnx;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;
export type GraphProto = import('onnx-proto').onnx.IGraphProto;
export type NodeProto = import('onnx-proto').onnx.INodeProto;
export type TensorProto = import('onnx-proto').onnx.ITensorProto;

/** Parses ONNX bytes; anything unreadable becomes an InvalidModelError that says why. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  if (bytes.byteLength === 0) throw new InvalidModelError('Model is empty (0 bytes)', { size: 0 });
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new InvalidModelError(`Not a readable ONNX model (${why}); the file may be truncated or corrupt`, { size: bytes.byteLength }, { cause });
  }
  if (!model.graph || (model.graph.node?.length ?? 0) === 0) {
    throw new InvalidModelError('Not an ONNX model: it has no graph nodes', { size: bytes.byteLength });
  }
  if (model.opsetImport.length === 0) {
    throw new InvalidModelError('Not an ONNX model: it declares no opset', { size: bytes.byteLength });
  }
  return model;
}

export function encodeModel(model: import('onnx-proto').onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** protobufjs decodes int64 as Long objects (or numbers); this gives a number. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value == null) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}
