import { expect, test } from '@playwright/test';
import { fixture, fixtureUrl, openHarness } from './helpers.js';

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

test('per-op profile: ORT\'s profiler in an extra worker, summarized by op and node; serving workers untouched', async ({ page }) => {
  await openHarness(page);
  const feeds = fixture('mlp_qlinear').example.feeds;
  const r = await page.evaluate(async ([url, jsonFeeds]) => {
    const { pageinfer, harness } = window;
    const engine = pageinfer.createEngine();
    const model = await engine.load(url, { backend: 'wasm' });
    const x = harness.feedsOf(jsonFeeds);
    const before = harness.toJson((await model.run(harness.feedsOf(jsonFeeds))).y);
    const profile = await model.profileOps(x, { runs: 4, top: 3 });
    const after = harness.toJson((await model.run(harness.feedsOf(jsonFeeds))).y);
    const bad = await model.profileOps({ x: { type: 'float32', data: new Float32Array(3), dims: [1, 3] } }).catch(harness.caught);
    const result = {
      ops: profile.ops,
      nodes: profile.nodes,
      runs: profile.runs,
      runMs: profile.runMs,
      kernelMs: profile.kernelMs,
      modelRuns: profile.events.filter((e) => e.name === 'model_run').length,
      kept: x.x.data.length, // profileOps leaves the caller's arrays alone
      requests: model.stats().requests,
      workers: model.info.schedule.workers,
      same: JSON.stringify(before) === JSON.stringify(after),
      bad,
      graphOps: model.info.ops,
    };
    await engine.dispose();
    return result;
  }, [fixtureUrl('mlp_qlinear'), feeds] as const);
  expect(r.runs).toBe(4);
  expect(r.modelRuns).toBe(5); // one warm-up, left out of the figures
  expect(r.ops.length).toBeGreaterThan(1);
  expect(r.ops.map((o) => o.op)).toContain('QLinearMatMul');
  const matmul = r.ops.find((o) => o.op === 'QLinearMatMul')!;
  expect(matmul.nodes).toBe(r.graphOps.QLinearMatMul); // one entry per node of that op in the graph
  expect(r.ops.reduce((t, o) => t + o.share, 0)).toBeCloseTo(1, 6);
  for (let i = 1; i < r.ops.length; i++) expect(r.ops[i].ms).toBeLessThanOrEqual(r.ops[i - 1].ms);
  expect(r.kernelMs).toBeGreaterThan(0);
  expect(r.kernelMs).toBeLessThanOrEqual(r.runMs * 1.01); // kernels run inside ORT's run
  expect(r.nodes).toHaveLength(3);
  expect(r.nodes[0].ms).toBeGreaterThanOrEqual(r.nodes[2].ms);
  expect(r.kept).toBeGreaterThan(0);
  expect(r.requests).toBe(2); // profile runs are not the model's requests
  expect(r.same).toBe(true);
  expect(r.bad).toMatchObject({ code: 'INPUT_SHAPE', isOwnClass: true });
});

test('per-op profile on WebGL is a typed error: ORT\'s WebGL backend has no profiler pageinfer can read', async ({ page, browserName }) => {
  test.skip(browserName === 'firefox', 'headless Firefox has no WebGL2 context in a worker (OffscreenCanvas), so no WebGL model to profile');
  await openHarness(page);
  const r = await page.evaluate(async ([url]) => {
    const engine = window.pageinfer.createEngine();
    try {
      const model = await engine.load(url, { backend: 'webgl', fallback: false, freeDimensionOverrides: { batch: 1 } });
      return await model.profileOps({ x: { type: 'float32', data: new Float32Array(64), dims: [1, 64] } }).then(() => null, window.harness.caught);
    } catch (e) {
      return { loadFailed: String(e) };
    } finally {
      await engine.dispose();
    }
  }, [fixtureUrl('mlp_f32')] as const);
  expect(r).toMatchObject({ code: 'PROFILE_UNAVAILABLE', isOwnClass: true });
});

test('per-op profile on WebGPU: the native WebGPU EP\'s kernels, by provider', async ({ page, browserName }) => {
  test.skip(browserName === 'firefox', 'Firefox ESR has no navigator.gpu');
  await openHarness(page);
  const r = await page.evaluate(async ([url]) => {
    const engine = window.pageinfer.createEngine();
    try {
      const model = await engine.load(url, { backend: 'webgpu', fallback: false }); // SwiftShader here: asked for by name
      const p = await model.profileOps({ x: { type: 'float32', data: new Float32Array(64).fill(0.1), dims: [1, 64] } }, { runs: 3 });
      return { backend: p.backend, providers: [...new Set(p.ops.map((o) => o.provider))], ops: p.ops.map((o) => o.op), runs: p.runs };
    } catch (e) {
      return { loadFailed: String(e) };
    } finally {
      await engine.dispose();
    }
  }, [fixtureUrl('mlp_f32')] as const);
  expect(r).toMatchObject({ backend: 'webgpu', runs: 3, providers: ['WebGpuExecutionProvider'] });
  expect((r as { ops: string[] }).ops).toContain('Gemm');
});
