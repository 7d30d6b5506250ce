import { describe, expect, it } from 'vitest';
import { outOfMemory } from './tuner.js';

describe('outOfMemory', () => {
  it('knows each engine’s wording of a failed wasm allocation', () => {
    expect(outOfMemory('wasm: no available backend found. ERR: [wasm] RangeError: Out of memory')).toBe(true); // WebKit
    expect(outOfMemory('WebAssembly.Memory(): could not allocate memory')).toBe(true); // Chromium
    expect(outOfMemory('out of memory')).toBe(true); // Firefox
    expect(outOfMemory('webgl cannot run this model: no kernels for QLinearConv')).toBe(false);
    expect(outOfMemory(undefined)).toBe(false);
  });
});
