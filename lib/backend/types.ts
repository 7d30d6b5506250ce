/** The backends pageinfer can run a model on. */
export type BackendName = 'webgpu' | 'wasm' | 'webgl';

/** Every backend, in the order `auto` prefers them when all are usable. */
export const allBackends: readonly BackendName[] = ['webgpu', 'wasm', 'webgl'];

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (allBackends as readonly string[]).includes(value);
}
