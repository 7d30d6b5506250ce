import { expect, test } from '@playwright/test';
import { fixtureUrl, openHarness } from './helpers.js';

test('profiling: per-worker wasm heap, engine stats, and a JSON export', async ({ page }) => {
  await openHarness(page);
  const r = await page.evaluate(async ([url]) => {
    const engine = window.pageinfer.createEngine();
    const model = await engine.load(url, { schedule: { workers: 2 } });
    const before = await model.memory();
    for (let i = 0; i < 5; i++) await model.run({ x: { type: 'float32', data: new Float32Array(64 * 4096), dims: [4096, 64] } });
    const after = await model.memory();
    const json = JSON.stringify(await model.exportProfile());
    const stats = engine.stats();
    const memory = await engine.memory();
    await engine.dispose();
    return { before, after, json, stats, memory };
  }, [fixtureUrl('mlp_f32')] as const);
  expect(r.before).toHaveLength(2);
  for (const w of r.before) expect(w.wasmHeapBytes).toBeGreaterThan(1 << 20);
  // A 4096-row batch makes ORT grow its heap on the worker that ran it, and wasm memory never shrinks.
  const total = (ws: typeof r.before) => ws.reduce((n, w) => n + (w.wasmHeapBytes ?? 0), 0);
  expect(total(r.after)).toBeGreaterThanOrEqual(total(r.before));
  const exported = JSON.parse(r.json);
  expect(exported.stats.requests).toBe(5);
  expect(exported.info.backend).toBe('wasm');
  expect(exported.memory).toHaveLength(2);
  expect(r.stats.models).toHaveLength(1);
  expect(r.stats.models[0].source).toBe(fixtureUrl('mlp_f32'));
  expect(r.stats.models[0].stats.computeMs.p50).toBeGreaterThan(0);
  expect(r.memory.models[0].workers).toHaveLength(2);
});
