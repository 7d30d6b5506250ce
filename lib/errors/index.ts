/**
 * Every failure pageinfer reports is one of these classes. Each has a stable
 * `code`, survives the worker boundary (see `serializeError`/`reviveError`),
 * and carries structured `details` for programs, while `message` is for people.
 */

export type ErrorDetails = Record<string, unknown>;

export class PageInferError extends Error {
  static readonly code: string = 'PAGEINFER_ERROR';
  /** The class name as written: bundlers minify class names, and `name` must survive that. */
  static readonly errorName: string = 'PageInferError';
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = (new.target as typeof PageInferError).code;
    this.name = (new.target as typeof PageInferError).errorName;
    this.details = details;
  }
}

function defineError<C extends string>(name: string, code: C) {
  const cls = class extends PageInferError {
    static override readonly code: C = code;
    static override readonly errorName: string = name;
    declare readonly code: C;
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

/** The model bytes are not a readable ONNX model (corrupt, truncated, not ONNX). */
export class InvalidModelError extends defineError('InvalidModelError', 'INVALID_MODEL') {}
/** The model uses something a backend cannot run (e.g. int8 ops on WebGL). */
export class UnsupportedModelError extends defineError('UnsupportedModelError', 'UNSUPPORTED_MODEL') {}
/** A requested backend does not exist on this device. */
export class BackendUnavailableError extends defineError('BackendUnavailableError', 'BACKEND_UNAVAILABLE') {}
/** Every candidate backend failed to create a session; `details.candidates` says why each failed. */
export class ModelLoadError extends defineError('ModelLoadError', 'MODEL_LOAD_FAILED') {}
/** ORT could not create a session on one backend (recorded per candidate). */
export class SessionCreateError extends defineError('SessionCreateError', 'SESSION_CREATE_FAILED') {}
/** Fetching model bytes failed (network error or HTTP status). */
export class FetchError extends defineError('FetchError', 'FETCH_FAILED') {}
/** A feed names an input the model does not have. */
export class UnknownInputError extends defineError('UnknownInputError', 'UNKNOWN_INPUT') {}
/** A required model input is missing from the feeds. */
export class MissingInputError extends defineError('MissingInputError', 'MISSING_INPUT') {}
/** A feed has the wrong element type. */
export class InputTypeError extends defineError('InputTypeError', 'INPUT_TYPE') {}
/** A feed has the wrong rank or dims, or its data length does not match its dims. */
export class InputShapeError extends defineError('InputShapeError', 'INPUT_SHAPE') {}
/** ORT failed while running the model. */
export class InferenceError extends defineError('InferenceError', 'INFERENCE_FAILED') {}
/** The operation was cancelled through its AbortSignal. Named like the DOM's AbortError. */
export class AbortError extends defineError('AbortError', 'ABORTED') {}
/** An operation ran past its deadline (e.g. session creation). */
export class TimeoutError extends defineError('TimeoutError', 'TIMEOUT') {}
/** The worker that hosted the model died (crash, OOM, terminate). */
export class WorkerCrashedError extends defineError('WorkerCrashedError', 'WORKER_CRASHED') {}
/**
 * The WebGPU device a model ran on was lost (GPU process crash, driver reset, the browser reclaiming
 * the GPU). A request gets it only when the retry on a rebuilt session could not be made or failed too;
 * `details` has the browser's `reason` and `message`.
 */
export class DeviceLostError extends defineError('DeviceLostError', 'DEVICE_LOST') {}
/**
 * A model or a request needs more memory than the browser gives (wasm32 addresses 4 GiB at most; some
 * browsers refuse new wasm instances sooner). `details`: `stage` ('load' | 'run'), and where known
 * `requestedBytes`, `wasmHeapBytes` (the heap when it failed), `limitBytes`. The worker is replaced.
 */
export class OutOfMemoryError extends defineError('OutOfMemoryError', 'OUT_OF_MEMORY') {}
/**
 * The worker script could not load, so nothing can run. `details` has `url`, `cause`
 * ('not-found' | 'unreachable' | 'not-javascript' | 'module-error' | 'transient' | 'unknown'),
 * the browser's own words where it gave some, and a `hint` at the fix.
 */
export class WorkerLoadError extends defineError('WorkerLoadError', 'WORKER_LOAD') {}
/** The request queue is full and its policy is 'reject'. */
export class QueueFullError extends defineError('QueueFullError', 'QUEUE_FULL') {}
/** Quantization or pruning cannot proceed (bad options, no calibration data, target unreachable). */
export class QuantizeError extends defineError('QuantizeError', 'QUANTIZE_FAILED') {}
/** The model uses an op (or op version) the quantizer cannot handle; `details.op` names it. */
export class UnsupportedOpError extends defineError('UnsupportedOpError', 'UNSUPPORTED_OP') {}
/** A file could not be read or written; `details.path` and `details.operation` say which and how. */
export class FileAccessError extends defineError('FileAccessError', 'FILE_ACCESS') {}
/** The model or engine was used after `dispose()`. */
export class DisposedError extends defineError('DisposedError', 'DISPOSED') {}
/** Downloaded bytes do not match the `integrity` (SRI) metadata; nothing was cached. */
export class IntegrityError extends defineError('IntegrityError', 'INTEGRITY') {}
/** `cache: 'cache-only'` and the model is not in the cache (or its entry was corrupt, or there is no cache). */
export class CacheMissError extends defineError('CacheMissError', 'CACHE_MISS') {}
/** The cache could not store a model: storage quota or the cache's byte budget. */
export class QuotaExceededError extends defineError('QuotaExceededError', 'QUOTA_EXCEEDED') {}
/** A per-op profile could not be taken: the backend has no ORT profiler (WebGL), or its output could not be read. */
export class ProfileUnavailableError extends defineError('ProfileUnavailableError', 'PROFILE_UNAVAILABLE') {}

const classes = [
  InvalidModelError,
  UnsupportedModelError,
  BackendUnavailableError,
  ModelLoadError,
  SessionCreateError,
  FetchError,
  UnknownInputError,
  MissingInputError,
  InputTypeError,
  InputShapeError,
  InferenceError,
  AbortError,
  TimeoutError,
  WorkerCrashedError,
  DeviceLostError,
  OutOfMemoryError,
  WorkerLoadError,
  QueueFullError,
  QuantizeError,
  UnsupportedOpError,
  FileAccessError,
  DisposedError,
  IntegrityError,
  CacheMissError,
  QuotaExceededError,
  ProfileUnavailableError,
] as const;

export type ErrorCode = (typeof classes)[number]['code'] | typeof PageInferError.code;

const byCode = new Map<string, typeof PageInferError>(classes.map((c) => [c.code, c]));

/** Plain-data form of an error, safe for structured clone. */
export interface SerializedError {
  readonly pageinfer: true;
  readonly code: string;
  readonly name: string;
  readonly message: string;
  readonly details: ErrorDetails;
  readonly stack?: string;
}

export function isSerializedError(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && (value as SerializedError).pageinfer === true;
}

/** Turns any thrown value into plain data; foreign errors keep their name and message. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof PageInferError) {
    return { pageinfer: true, code: error.code, name: error.name, message: error.message, details: error.details, stack: error.stack };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { pageinfer: true, code: PageInferError.code, name: e.name, message: e.message, details: {}, stack: e.stack };
}

/** Rebuilds the original class from its code; unknown codes become a plain PageInferError. */
export function reviveError(data: SerializedError): PageInferError {
  const Cls = byCode.get(data.code) ?? PageInferError;
  const error = new Cls(data.message, data.details);
  if (Cls === PageInferError && data.name) error.name = data.name;
  if (data.stack) error.stack = data.stack;
  return error;
}

/** Wraps `reason` (what an AbortSignal carries) as a typed AbortError. */
export function toAbortError(reason: unknown): AbortError {
  if (reason instanceof AbortError) return reason;
  const message = reason instanceof Error ? reason.message : 'The operation was aborted';
  return new AbortError(message, {}, { cause: reason });
}
