/** The backends pageinfer can run a model on. */
export type BackendName = 'webgpu' | 'wasm' | 'webgl';

/** Every backend, in the order `auto` prefers them when all are usable. */
export const allBackends: readonly BackendName[] = ['webgpu', 'wasm', 'webgl'];

/** Threads a session on `backend` gets from `threads` asked: WebGL runs ORT on one thread (no wasm threads). */
export function threadsOn(backend: BackendName, threads: number): number {
  return backend === 'webgl' ? 1 : threads;
}

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (allBackends as readonly string[]).includes(value);
}
