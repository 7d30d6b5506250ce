export { onnx, decodeModel, encodeModel, toNumber } from './model.js';
export type { ModelProto, GraphProto, NodeProto, TensorProto } from './model.js';
export { summarize, graphInputs, graphOutputs, opHistogram, opsetVersion, forEachGraph, tensorTypeOf, dataTypeOf } from './inspect.js';
export type { ModelSummary } from './inspect.js';
export { fixSymbolicDims } from './static-shapes.js';
export { renameUnsafeValues } from './rename.js';
export { makeTensor, readTensor } from './tensor.js';
