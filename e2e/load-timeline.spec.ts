import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import type { LoadSpan, LoadStep } from '../lib/index.js';
import { expectClose, fixture, openHarness } from './helpers.js';
import { loadInPage } from './servers/cache-page.js';
import { ModelServer } from './servers/model-server.js';

/**
 * The load timeline and the overlap of ORT's start with the model's bytes (issue 19), in Chromium
 * and Firefox: a model trickled by the test server (about 2.5 s for 21 KB) leaves the prepared
 * worker time to be ready long before the last byte, whatever the machine's load.
 */

const f32 = fixture('mlp_f32');
const bytes = new Uint8Array(readFileSync(new URL('./fixtures/generated/mlp_f32.onnx', import.meta.url)));
let server: ModelServer;

test.beforeAll(async () => {
  server = await ModelServer.start({ maxLifetimeMs: 2 * 60_000 });
});
test.afterAll(async () => server?.close());

const span = (timeline: LoadSpan[], step: LoadStep) => {
  const found = timeline.find((s) => s.step === step);
  expect(found, `${step} in ${JSON.stringify(timeline)}`).toBeDefined();
  return found!;
};

function expectWellFormed(timeline: LoadSpan[]) {
  for (const s of timeline) expect(s.end, JSON.stringify(s)).toBeGreaterThanOrEqual(s.start);
  const session = span(timeline, 'session');
  const run = span(timeline, 'first-run');
  expect(run.start).toBeGreaterThanOrEqual(session.end);
}

async function fresh(page: Page) {
  await page.routeWebSocket(() => true, () => {});
  await openHarness(page);
}

test('a slow download overlaps the worker and ORT start; origin is network, then cache, then memory', async ({ page }) => {
  await fresh(page);
  const db = `pageinfer-timeline-${test.info().project.name}-${Date.now()}`;
  const url = server.serve(`/${db}/model.onnx`, bytes, { bytesPerSecond: 8 * 1024 });
  const cache = { dbName: db };

  const cold = await loadInPage(page, { url, cache, feeds: f32.example.feeds });
  expect(cold.error).toBeUndefined();
  expectClose(cold.outputs!, f32.example.expected, f32.atol);
  expect(cold.info!.origin).toEqual({ from: 'network', bytes: { network: bytes.byteLength, cache: 0, memory: 0 } });
  const t = cold.info!.timings.timeline;
  expectWellFormed(t);
  expect(span(t, 'bytes').detail).toBe('network');
  expect(cold.info!.timings.prepared).toBe(true);
  // Overlap: the worker was ready, and ORT started, before the last byte; the session waited for the bytes.
  const lastByte = span(t, 'bytes').end;
  expect(span(t, 'worker').end).toBeLessThan(lastByte);
  expect(span(t, 'ort-init').start).toBeLessThan(lastByte);
  expect(span(t, 'session').start).toBeGreaterThanOrEqual(lastByte);

  const warm = await loadInPage(page, { url, cache, feeds: f32.example.feeds });
  expect(warm.error).toBeUndefined();
  expectClose(warm.outputs!, f32.example.expected, f32.atol);
  expect(warm.info!.origin).toEqual({ from: 'cache', bytes: { network: 0, cache: bytes.byteLength, memory: 0 } });
  expectWellFormed(warm.info!.timings.timeline);
  expect(span(warm.info!.timings.timeline, 'bytes').detail).toBe('cache');
  expect(span(warm.info!.timings.timeline, 'verify').end).toBeLessThanOrEqual(span(warm.info!.timings.timeline, 'first-run').start);
  expect(server.gets(`/${db}/model.onnx`)).toHaveLength(1);

  const memory = await page.evaluate(
    async ({ url, feeds }) => {
      const { pageinfer, harness } = window;
      const engine = pageinfer.createEngine({ cache: false });
      const model = await engine.load(await (await fetch(url)).arrayBuffer());
      await model.run(harness.feedsOf(feeds));
      await new Promise((r) => setTimeout(r, 0));
      const { origin, timings } = model.info;
      await engine.dispose();
      return { origin, timings };
    },
    { url: server.serve(`/${db}/copy.onnx`, bytes), feeds: f32.example.feeds },
  );
  expect(memory.origin).toEqual({ from: 'memory', bytes: { network: 0, cache: 0, memory: bytes.byteLength } });
  expectWellFormed(memory.timings.timeline);
  expect(span(memory.timings.timeline, 'bytes').detail).toBe('memory');
});

test('engine.prewarm() starts ORT before any model: the first load builds its session in that worker', async ({ page }) => {
  await fresh(page);
  const got = await page.evaluate(
    async ({ model, feeds }) => {
      const { pageinfer, harness } = window;
      const engine = pageinfer.createEngine({ cache: false, prewarm: ['wasm'] });
      const ready = await engine.prewarm(['wasm']); // the same worker the option started
      const loaded = await engine.load(new Uint8Array(model));
      await loaded.run(harness.feedsOf(feeds));
      await new Promise((r) => setTimeout(r, 0));
      const { timings } = loaded.info;
      await engine.dispose();
      return { ready, timings };
    },
    { model: [...bytes], feeds: f32.example.feeds },
  );
  expect(got.ready).toBe(true);
  expect(got.timings.prepared).toBe(true);
  expectWellFormed(got.timings.timeline);
  // ORT started before load(): its steps show at 0, marked as such.
  expect(span(got.timings.timeline, 'ort-init')).toMatchObject({ start: 0, end: 0, detail: 'before load()' });
});
