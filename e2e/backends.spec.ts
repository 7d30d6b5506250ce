/**
 * One suite body, run on every backend (the tfjs "describeWithFlags" idea):
 * each fixture, forced onto the backend inside the worker, must match its
 * independently computed reference, or be refused with a typed reason.
 */
import { expect, test } from '@playwright/test';
import { expectClose, fixture, fixtureNames, fixtureUrl, openHarness } from './helpers.js';

interface BackendFlags {
  name: 'wasm' | 'webgpu' | 'webgl';
  /** ORT's WebGL backend has no int8 kernels. */
  int8: boolean;
  /** Static shapes only: the symbolic batch dim is fixed through freeDimensionOverrides. */
  staticShapes: boolean;
}

const backends: BackendFlags[] = [
  { name: 'wasm', int8: true, staticShapes: false },
  { name: 'webgpu', int8: true, staticShapes: false },
  { name: 'webgl', int8: false, staticShapes: true },
];

for (const flags of backends) {
  test.describe(`on ${flags.name}`, () => {
    test.beforeEach(async ({ page }) => openHarness(page));

    for (const name of fixtureNames) {
      const f = fixture(name);
      const batch = Object.values(f.example.feeds)[0].dims[0];
      const load = { backend: flags.name, fallback: false, ...(flags.staticShapes ? { freeDimensionOverrides: { batch } } : {}) };

      if (f.quantized && !flags.int8) {
        test(`${name} is refused with a typed UNSUPPORTED_MODEL reason`, async ({ page }) => {
          const r = await page.evaluate(([url, feeds, opts]) => window.harness.loadAndRun(url, feeds, opts), [fixtureUrl(name), f.example.feeds, load] as const);
          expect(r.error?.code).toBe('MODEL_LOAD_FAILED');
          expect(r.error?.isOwnClass).toBe(true);
          const attempts = r.error?.details.attempts as Array<{ backend: string; error: { code: string; message: string } }>;
          expect(attempts).toHaveLength(1);
          expect(attempts[0].backend).toBe(flags.name);
          expect(attempts[0].error.code).toBe('UNSUPPORTED_MODEL');
          expect(attempts[0].error.message).toMatch(/no kernels for .*Linear/);
        });
        continue;
      }

      test(`${name} matches the reference`, async ({ page }) => {
        const r = await page.evaluate(([url, feeds, opts]) => window.harness.loadAndRun(url, feeds, opts), [fixtureUrl(name), f.example.feeds, load] as const);
        expect(r.error).toBeUndefined();
        expect(r.info!.backend).toBe(flags.name);
        const diff = expectClose(r.outputs!, f.example.expected, f.atol);
        expectClose(r.outputs!, f.example.float, f.floatAtol);
        test.info().annotations.push({ type: 'max abs diff', description: `${diff.toExponential(2)} (atol ${f.atol})` });
        if (flags.staticShapes) expect(r.info!.fixedDims).toEqual({ batch });
      });
    }
  });
}
