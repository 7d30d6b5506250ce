export { createEngine, Engine } from './engine/engine.js';
export { Model, type RunTiming } from './engine/model.js';
export type {
  EngineOptions,
  LoadOptions,
  RunOptions,
  ModelInfo,
  CandidateReport,
  Attempt,
  LoadProgress,
  ProgressPhase,
  ProgressCallback,
  WarningDetail,
} from './engine/types.js';
export type { BackendName } from './backend/types.js';
export type { BackendPreference, BackendCandidate, ThreadSetting } from './backend/choose.js';
export type { Capabilities } from './probe/types.js';
export type { Tensor, TensorType, TensorData, Feeds, Outputs, ValueInfo, Dim } from './tensor/types.js';
export type { ModelSource } from './source/read.js';
export * from './errors/index.js';
