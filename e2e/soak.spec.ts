/**
 * Nothing is retained per request: 100k runs of a small model, after a warm-up
 * past the stats ring (4096 samples), must not grow the page's and workers'
 * memory by more than 2 MB. performance.measureUserAgentSpecificMemory() counts
 * page and workers together and forces a GC (Chromium, cross-origin isolated
 * pages only; Firefox does not have it, so this runs in the chromium project).
 */
import { expect, test } from '@playwright/test';
import { fixtureUrl, openHarness } from './helpers.js';

test('100k requests leave the page and worker memory flat (≤ 2 MB growth)', async ({ page }) => {
  test.setTimeout(240_000);
  await openHarness(page);
  const r = await page.evaluate(async (url) => {
    const measure = async () => {
      // Two GCs apart: the lower is the live heap (a measurement can land before a collection finishes).
      const perf = performance as Performance & { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> };
      const a = await perf.measureUserAgentSpecificMemory();
      const b = await perf.measureUserAgentSpecificMemory();
      return Math.min(a.bytes, b.bytes);
    };
    const engine = window.pageinfer.createEngine({ wasm: { threads: 1 } });
    const model = await engine.load(url, { backend: 'wasm', schedule: { mode: 'streaming', workers: 1 } });
    const x = new Float32Array(64).fill(0.5);
    const runs = async (n: number) => {
      const inFlight = 16;
      let done = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (done < n) {
            done++;
            await model.run({ x: { type: 'float32', data: x, dims: [1, 64] } }, { transfer: false }); // the output is dropped
          }
        }),
      );
    };
    await runs(10_000); // past the stats ring and every lazy allocation
    const before = await measure();
    const t0 = performance.now();
    await runs(100_000);
    const seconds = (performance.now() - t0) / 1000;
    const after = await measure();
    await engine.dispose();
    return { before, after, seconds };
  }, fixtureUrl('mlp_f32'));
  const growthMb = (r.after - r.before) / 2 ** 20;
  test.info().annotations.push({ type: 'memory', description: `${(r.before / 2 ** 20).toFixed(1)} MB → ${(r.after / 2 ** 20).toFixed(1)} MB over 100k requests (${growthMb.toFixed(2)} MB) in ${r.seconds.toFixed(1)} s` });
  console.log(`soak: ${(r.before / 2 ** 20).toFixed(2)} MB → ${(r.after / 2 ** 20).toFixed(2)} MB after 100k requests (${growthMb >= 0 ? '+' : ''}${growthMb.toFixed(2)} MB), ${r.seconds.toFixed(1)} s`);
  expect(growthMb).toBeLessThanOrEqual(2);
});
