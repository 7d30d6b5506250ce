/**
 * The few TF.js calls the benchmark makes, typed here so the repo typechecks whether or
 * not TF.js is installed; e2e/bench/server.ts provides the module (or `null`).
 */
declare module 'virtual:bench-tfjs' {
  export interface TfTensor {
    readonly shape: number[];
    data(): Promise<ArrayLike<number>>;
    dispose(): void;
  }
  type Rank4Pad = 'same' | 'valid';
  export interface TfCore {
    tensor(values: Float32Array, shape: number[], dtype: 'float32'): TfTensor;
    transpose(x: TfTensor, perm: number[]): TfTensor;
    conv2d(x: TfTensor, filter: TfTensor, strides: number, pad: Rank4Pad): TfTensor;
    maxPool(x: TfTensor, filterSize: number, strides: number, pad: Rank4Pad): TfTensor;
    relu(x: TfTensor): TfTensor;
    add(a: TfTensor, b: TfTensor): TfTensor;
    matMul(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor;
    reshape(x: TfTensor, shape: number[]): TfTensor;
    tidy(fn: () => TfTensor): TfTensor;
    setBackend(name: string): Promise<boolean>;
    getBackend(): string;
    ready(): Promise<void>;
    env(): { set(flag: string, value: boolean | number): void };
    version_core?: string;
  }
  export interface TfjsModule {
    tf: TfCore;
    version: string;
    setWasmPaths(paths: Record<string, string>): void;
    setThreadsCount(n: number): void;
    /** File name → URL of tfjs-backend-wasm's .wasm files. */
    wasmFiles: Record<string, string>;
  }
  export const tfjs: TfjsModule | null;
}
