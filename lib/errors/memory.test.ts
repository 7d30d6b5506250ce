import { describe, expect, it } from 'vitest';
import { outOfMemoryCause } from './memory.js';

describe('outOfMemoryCause', () => {
  it('knows the wording of each runtime (messages as seen in Chromium 156, Firefox ESR 153, WebKitGTK 2.50)', () => {
    expect(outOfMemoryCause('failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc')).toMatch(/ORT could not make/);
    expect(outOfMemoryCause('ERROR_MESSAGE: .../safeint.h:17 static void SafeIntExceptionHandler<onnxruntime::OnnxRuntimeException>::SafeIntOnOverflow() Integer overflow')).toMatch(/4 GiB/);
    expect(outOfMemoryCause('wasm: no available backend found. ERR: [wasm] RangeError: Out of memory')).toMatch(/refused/);
    expect(outOfMemoryCause('WebAssembly.Memory(): could not allocate memory')).toMatch(/refused/);
  });

  it('leaves other failures alone', () => {
    expect(outOfMemoryCause('webgl cannot run this model: no kernels for QLinearConv')).toBeNull();
    expect(outOfMemoryCause('Got invalid dimensions for input: x')).toBeNull();
    expect(outOfMemoryCause(undefined)).toBeNull();
  });
});
