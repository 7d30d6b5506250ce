/**
 * Data that crosses the worker boundary besides tensors and errors: what the worker reports of its
 * memory, the compiled wasm modules page and workers hand each other, and ORT's profile events.
 * Types only, so every layer above the protocol can name them without importing the worker.
 */

/** One Chrome trace event as ORT writes it (times in µs). */
export interface TraceEvent {
  cat: string;
  name: string;
  ph?: string;
  ts: number;
  dur: number;
  pid?: number;
  tid?: number;
  args?: { op_name?: string; provider?: string; input_type_shape?: unknown; output_type_shape?: unknown; [k: string]: unknown };
}

/** What a worker reports of its memory. */
export interface WorkerMemory {
  /** Bytes of wasm linear memory ORT has grown to (it never shrinks); null when none was seen. */
  wasmHeapBytes: number | null;
  /** This worker's JS heap where the browser tells (Chromium's performance.memory). */
  jsHeapBytes: number | null;
}

/** A compiled ORT wasm module and the URL it was compiled from (see ../worker/wasm-share.ts). */
export interface SharedModule {
  url: string;
  module: WebAssembly.Module;
}
