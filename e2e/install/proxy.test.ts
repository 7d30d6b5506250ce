import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { init } from 'es-module-lexer';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCommonJs } from './proxy.js';

const require = createRequire(import.meta.url);
const read = (specifier: string) => readFileSync(require.resolve(specifier), 'utf8');

describe('the install matrix tells CommonJS from ES modules', () => {
  beforeAll(() => init);

  it('flags the CommonJS files dev servers used to hand pageinfer’s worker', () => {
    expect(isCommonJs(read('onnx-proto'))).toBe(true);
    expect(isCommonJs(read('protobufjs/minimal'))).toBe(true);
    expect(isCommonJs('"use strict";\nexports.add = (a, b) => a + b;')).toBe(true);
  });

  it('passes ES modules, including bundles that wrap converted CommonJS', () => {
    expect(isCommonJs(readFileSync(require.resolve('onnxruntime-web/wasm').replace(/[^/]+$/, 'ort.wasm.bundle.min.mjs'), 'utf8'))).toBe(false);
    expect(isCommonJs('var require_x = (exports, module) => { module.exports = 1; };\nexport default require_x;')).toBe(false);
    expect(isCommonJs('const wasm = await import("./ort.mjs");')).toBe(false);
  });

  it('passes scripts that use no CommonJS at all', () => {
    expect(isCommonJs('self.onmessage = (e) => postMessage(e.data);')).toBe(false);
  });
});
