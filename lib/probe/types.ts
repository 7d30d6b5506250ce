/** What this device can really do, measured inside a worker (where the models run). */
export interface Capabilities {
  webgpu: {
    available: boolean;
    /** True for software adapters such as SwiftShader: "WebGPU" that is far slower than wasm. */
    isFallbackAdapter: boolean;
    adapter: { vendor: string; architecture: string; device: string; description: string } | null;
    features: string[];
    limits: Record<string, number>;
    why: string;
  };
  wasm: {
    available: boolean;
    simd: boolean;
    /** SharedArrayBuffer is usable, so ORT can run more than one thread. */
    threads: boolean;
    crossOriginIsolated: boolean;
    why: string;
  };
  webgl2: { available: boolean; renderer: string; isSoftware: boolean; why: string };
  webnn: { available: boolean };
  /** navigator.hardwareConcurrency as reported; not always the real core count (see parallelism). */
  cores: number;
  userAgent: string;
  /** The cores threads and workers are sized by: the report, checked by a measurement when it says more than 2. */
  parallelism: Parallelism;
}

/** What the worker probe sees; the page adds the parallelism, which takes several workers to measure. */
export type ProbedCapabilities = Omit<Capabilities, 'parallelism'>;

export interface Parallelism {
  /** Cores that threads × workers are sized by. */
  cores: number;
  /** navigator.hardwareConcurrency. */
  reported: number;
  /** Summed speed of `workers` workers spinning side by side over one alone; null when not measured. */
  measured: number | null;
  workers: number;
  /** In words, for model.info and the demo. */
  why: string;
}
