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
  /** navigator.hardwareConcurrency as reported; not always the real core count. */
  cores: number;
  userAgent: string;
}
