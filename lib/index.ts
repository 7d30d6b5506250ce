export { createEngine, Engine } from './engine/engine.js';
export { Model } from './engine/model.js';
export type { WorkerMemory, TraceEvent } from './protocol/index.js';
export { ModelStream, type StreamOptions } from './engine/stream.js';
export type { ScheduleOptions, ScheduleInfo, ScheduleMode, RequestOptions } from './scheduler/types.js';
export type { RecycleOptions } from './pool/pool.js';
export type { RunChannelOptions } from './pool/replica.js';
export type { ModelStats, Distribution } from './profile/stats.js';
export type { OpProfile, OpProfileOptions } from './engine/op-profile.js';
export type { OpSummary, OpTime, NodeTime } from './profile/ops.js';
export type { TuneOptions, TuningInfo, TuneCandidate, TuneCandidateReport, CandidateStatus } from './tune/types.js';
export type {
  EngineOptions,
  LoadOptions,
  RunOptions,
  ModelInfo,
  ModelOrigin,
  LoadTimings,
  LoadSpan,
  LoadStep,
  CandidateReport,
  Attempt,
  LoadProgress,
  ProgressPhase,
  ProgressCallback,
  WarningDetail,
  EngineStats,
  EngineMemory,
  PoolStats,
  ModelProfile,
  VariantSource,
  VariantInfo,
  VariantMeasure,
} from './engine/types.js';
export type { BackendName } from './backend/types.js';
export type { BackendPreference, BackendCandidate, ThreadSetting } from './backend/choose.js';
export type { Capabilities, Parallelism } from './probe/types.js';
export type { Tensor, TensorType, TensorData, Feeds, Outputs, ValueInfo, Dim } from './tensor/types.js';
export type { ModelSource } from './source/read.js';
export { ModelCache, type CacheFetchOptions, type CacheEntryInfo, type CacheOptions, type CachePolicy, type CacheUsage } from './cache/index.js';
export * from './errors/index.js';
