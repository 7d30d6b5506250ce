import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { expectClose, fixture, fixtureUrl, openHarness } from './helpers.js';

/** `engine.load({ variants })`: the variant that serves is measured on the device, checked, and remembered. */

const f32 = fixture('mlp_f32');
const int8 = fixture('mlp_dynamic');
const fixtureBytes = (name: string) => readFileSync(new URL(`./fixtures/generated/${name}.onnx`, import.meta.url));

/** mlp_f32 with a stretch of its weights scrambled (sign bits flipped): a valid model with wrong outputs. */
function brokenCopy(): Buffer {
  const bytes = Buffer.from(fixtureBytes('mlp_f32'));
  for (let i = 4000; i < 12_000; i++) bytes[i] ^= 0x80;
  return bytes;
}

async function loadVariants(page: Page, variants: Record<string, string>, extra: Record<string, unknown> = {}) {
  return page.evaluate(
    async ({ variants, extra, feeds }) => {
      const engine = window.pageinfer.createEngine();
      const model = await engine.load({ variants, ...extra });
      const out = await model.run(window.harness.feedsOf(feeds));
      const result = { variant: model.info.variant!, y: Array.from(out.y.data as Float32Array) };
      await engine.dispose();
      return result;
    },
    { variants, extra, feeds: f32.example.feeds },
  );
}

test('the fastest variant that agrees with f32 serves; a wrong one is rejected; the choice is remembered; an uncached reference over the budget is not downloaded', async ({ page }) => {
  test.setTimeout(90_000);
  await page.route('**/variants/broken.onnx', (route) => route.fulfill({ body: brokenCopy(), contentType: 'application/octet-stream' }));
  await page.route('**/variants/f32-elsewhere.onnx', (route) => route.fulfill({ body: fixtureBytes('mlp_f32'), contentType: 'application/octet-stream' }));
  await page.route('**/variants/int8-elsewhere.onnx', (route) => route.fulfill({ body: fixtureBytes('mlp_dynamic'), contentType: 'application/octet-stream' }));
  await openHarness(page);
  const requests: Array<{ url: string; method: string }> = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method() }));
  const variants = { f32: fixtureUrl('mlp_f32'), int8: fixtureUrl('mlp_dynamic'), broken: '/variants/broken.onnx' };

  const first = await loadVariants(page, variants);
  const m = first.variant.measured;
  expect(first.variant.remembered).toBe(false);
  expect(Object.keys(m).sort()).toEqual(['broken', 'f32', 'int8']);
  expect(m.f32).toMatchObject({ cosine: 1, ok: true });
  expect(m.int8.cosine).toBeGreaterThanOrEqual(0.99);
  expect(m.int8.ok).toBe(true);
  expect(m.broken.cosine).toBeLessThan(0.99);
  expect(m.broken.ok).toBe(false);
  expect(first.variant.reason).toMatch(/rejected for disagreeing with f32: broken/);
  const fastest = m.f32.p50Ms <= m.int8.p50Ms ? 'f32' : 'int8';
  expect(first.variant.name).toBe(fastest);
  const served = fastest === 'f32' ? f32 : int8;
  expectClose({ y: { ...served.example.expected.y, data: first.y } }, served.example.expected, served.atol);

  // A second engine on this device builds only the remembered variant.
  const before = requests.length;
  const second = await loadVariants(page, variants);
  expect(second.variant).toMatchObject({ name: fastest, remembered: true });
  const others = Object.entries(variants).filter(([name]) => name !== fastest).map(([, url]) => url);
  expect(requests.slice(before).filter((r) => others.some((u) => r.url.endsWith(u)))).toEqual([]);

  // The reference is not cached and bigger than the budget: only its size is asked (HEAD), it is not downloaded,
  // and the choice is not remembered (a later load with it cached can compare for real).
  const elsewhere = { f32: '/variants/f32-elsewhere.onnx', int8: '/variants/int8-elsewhere.onnx' };
  const third = await loadVariants(page, elsewhere, { compareBudgetBytes: 1000 });
  expect(third.variant.name).toBe('int8');
  expect(Object.keys(third.variant.measured)).toEqual(['int8']);
  expect(third.variant.reason).toMatch(/f32 was not compared: it is not cached and .* is over compareBudgetBytes/);
  expect(requests.filter((r) => r.url.endsWith(elsewhere.f32)).map((r) => r.method)).toEqual(['HEAD']);
  expect((await loadVariants(page, elsewhere, { compareBudgetBytes: 1000 })).variant.remembered).toBe(false);
  expectClose({ y: { ...int8.example.expected.y, data: third.y } }, int8.example.expected, int8.atol);
});

test('a variant source names its reference among its variants', async ({ page }) => {
  await openHarness(page);
  const error = await page.evaluate(async () => {
    const engine = window.pageinfer.createEngine();
    try {
      await engine.load({ variants: { int8: '/a.onnx' }, reference: 'f32' });
      return null;
    } catch (e) {
      return window.harness.caught(e);
    } finally {
      await engine.dispose();
    }
  });
  expect(error).toMatchObject({ code: 'INVALID_MODEL', details: { reference: 'f32' } });
});
