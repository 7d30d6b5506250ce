/**
 * Faults made to happen for real: the GPU process crashing under a stream of WebGPU requests (Chromium,
 * through the DevTools protocol; SwiftShader's WebGPU lives in that process too), and models that need
 * more memory than wasm32 can address. Each checks: no request hangs, none gets a wrong result or an
 * untyped error, and the engine goes on serving.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { fixture, fixtureUrl, openHarness } from './helpers.js';

test.beforeEach(async ({ page }) => openHarness(page));

const mlp = fixture('mlp_f32');

interface StreamReport {
  outcomes: string[];
  after: string;
  backend: string;
  reason: string;
  warnings: Array<{ code: string; message: string }>;
  pool: { workers: number; respawns: number };
}

/**
 * Runs requests on 3 concurrent lanes on a WebGPU model, each checked against the fixture's reference ('ok',
 * 'wrong', 'hang' or the error's code); `window.faultProgress` counts those done, so the test can strike
 * mid-stream, and the stream ends 9 requests after `window.faultStruck` is set. With `noGpuAfterLoss`,
 * workers created after the first request have no WebGPU.
 */
async function gpuStream(page: Page, noGpuAfterLoss: boolean): Promise<StreamReport> {
  return page.evaluate(
    async ([url, feeds, expected, atol, noGpu]) => {
      const { harness } = window;
      const engine = harness.noGpuEngine();
      const warnings: Array<{ code: string; message: string }> = [];
      engine.addEventListener('warning', (e) => warnings.push((e as CustomEvent).detail));
      const model = await engine.load(url, { backend: 'webgpu', schedule: { workers: 1 } });
      const want = expected.y.data;
      const check = async (): Promise<string> => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const hang = new Promise<string>((res) => (timer = setTimeout(() => res('hang'), 30_000)));
        const run = model.run(harness.feedsOf(feeds)).then(
          (o) => {
            const got = o.y.data as Float32Array;
            return got.length === want.length && got.every((v, i) => Math.abs(v - want[i]) <= atol) ? 'ok' : 'wrong';
          },
          (e) => (harness.caught(e).isOwnClass ? harness.caught(e).code : `untyped ${String(e)}`),
        );
        const outcome = await Promise.race([run, hang]);
        clearTimeout(timer);
        return outcome;
      };
      window.faultProgress = 0;
      window.faultStruck = false;
      const outcomes: string[] = [];
      // Until 9 requests after the test struck (however fast the device is), 600 at most.
      let afterStrike = 0;
      const lane = async () => {
        while (!(window.faultStruck && afterStrike >= 9) && outcomes.length < 600) {
          const struck = window.faultStruck;
          outcomes.push(await check());
          if (struck) afterStrike++;
          window.faultProgress++;
          if (noGpu) harness.noGpuInNewWorkers = true; // the loading worker had WebGPU; its replacements will not
        }
      };
      await Promise.all([lane(), lane(), lane()]);
      await harness.until(() => model.stats().pool.respawns > 0, 10_000); // the loss may be told after the last request
      const after = await check(); // the engine still serves, once everything settled
      const report = { outcomes, after, backend: model.info.backend, reason: model.info.reason, warnings, pool: model.stats().pool };
      harness.noGpuInNewWorkers = false;
      await engine.dispose();
      return report;
    },
    [fixtureUrl('mlp_f32'), mlp.example.feeds, mlp.example.expected, mlp.atol, noGpuAfterLoss] as const,
  );
}

/** Kills Chromium's GPU process once `strikeAfter` requests of the stream are done; the stream goes on a while after. */
async function crashGpuProcessMidStream(page: Page, browser: Browser, strikeAfter: number): Promise<void> {
  await page.waitForFunction((n) => (window.faultProgress ?? 0) >= n, strikeAfter, { timeout: 30_000 });
  const cdp = await browser.newBrowserCDPSession();
  await cdp.send('Browser.crashGpuProcess');
  await cdp.detach();
  await page.evaluate(() => (window.faultStruck = true));
}

test.describe('GPU device loss', () => {
  test.skip(({ browserName }) => browserName !== 'chromium', 'WebGPU (and the DevTools protocol) only in Chromium here');

  test('the GPU process crashes mid-stream: requests are retried on a fresh device, none hangs or is wrong', async ({ page, browser }) => {
    const streaming = gpuStream(page, false);
    await crashGpuProcessMidStream(page, browser, 4);
    const r = await streaming;
    test.info().annotations.push({ type: 'outcomes', description: JSON.stringify({ outcomes: r.outcomes, pool: r.pool }) });
    expect(r.outcomes.length).toBeGreaterThanOrEqual(13);
    // Retried on the rebuilt session, or (inputs gone with the worker, or the retry lost too) a typed DeviceLostError.
    expect(r.outcomes.filter((o) => o !== 'ok' && o !== 'DEVICE_LOST')).toEqual([]);
    expect(r.after).toBe('ok');
    expect(r.pool.respawns).toBeGreaterThanOrEqual(1); // the loss was seen, and the worker replaced
    expect(r.backend).toBe('webgpu'); // an adapter came back: still on WebGPU
  });

  test('no adapter comes back after the crash: the model goes on on wasm, with BACKEND_FALLBACK and model.info saying so', async ({ page, browser }) => {
    const streaming = gpuStream(page, true);
    await crashGpuProcessMidStream(page, browser, 4);
    const r = await streaming;
    test.info().annotations.push({ type: 'outcomes', description: JSON.stringify({ outcomes: r.outcomes, pool: r.pool }) });
    expect(r.outcomes.filter((o) => o !== 'ok' && o !== 'DEVICE_LOST')).toEqual([]);
    expect(r.after).toBe('ok');
    expect(r.backend).toBe('wasm');
    expect(r.reason).toMatch(/^wasm after the webgpu device was lost \(The WebGPU device was lost/);
    expect(r.warnings).toContainEqual({ code: 'BACKEND_FALLBACK', message: r.reason });
  });
});

test.describe('out of memory', () => {
  test('a request whose intermediate tensor cannot fit wasm32: OutOfMemoryError, its worker replaced, the other model keeps answering', async ({ page }) => {
    const r = await page.evaluate(
      async ([url, feeds, expected, atol]) => {
        const { harness, pageinfer } = window;
        const engine = pageinfer.createEngine({ wasm: { threads: 1 } });
        const small = await engine.load(url, { schedule: { workers: 1 } });
        const smallOk = async () => {
          const got = (await small.run(harness.feedsOf(feeds))).y.data as Float32Array;
          return got.every((v, i) => Math.abs(v - expected.y.data[i]) <= atol);
        };
        const x = () => ({ x: { type: 'float32' as const, data: new Float32Array([1]), dims: [1] } });
        // 65535 × 16383 floats: 1 MiB short of 4 GiB, more than the heap can grow to next to what it holds;
        // 40000 × 40000: 6.4 GB, past what wasm32 sizes can say. Neither is ever written: nothing is touched.
        const results: Record<string, unknown> = {};
        for (const dims of [
          [65535, 16383],
          [40000, 40000],
        ]) {
          const big = await engine.load(harness.expandModel(dims), { backend: 'wasm', schedule: { workers: 1 } });
          const [error, beside] = await Promise.all([big.run(x()).then(() => null, harness.caught), smallOk()]);
          const tiny = await engine.load(harness.expandModel([2, 3]), { backend: 'wasm', schedule: { workers: 1 } }); // the engine still loads
          const rebuilt = await harness.until(() => big.stats().pool.workers === 1, 20_000);
          const again = await big.run(x()).then(() => null, harness.caught); // the model itself still answers, as typed
          results[dims.join('x')] = {
            error,
            again: again?.code,
            rebuilt,
            beside,
            smallAfter: await smallOk(),
            tiny: Array.from((await tiny.run(x())).y.data as Float32Array),
            respawns: big.stats().pool.respawns,
          };
          await big.dispose();
          await tiny.dispose();
        }
        await engine.dispose();
        return results;
      },
      [fixtureUrl('mlp_f32'), mlp.example.feeds, mlp.example.expected, mlp.atol] as const,
    );
    for (const [dims, cause] of [
      ['65535x16383', /an allocation ORT could not make/],
      ['40000x40000', /a size past what wasm32 can address/],
    ] as const) {
      const c = r[dims] as { error: { code: string; isOwnClass: boolean; message: string; details: Record<string, unknown> }; again: string; rebuilt: boolean; beside: boolean; smallAfter: boolean; tiny: number[]; respawns: number };
      expect(c.error, dims).toMatchObject({ code: 'OUT_OF_MEMORY', isOwnClass: true, details: { stage: 'run', backend: 'wasm', limitBytes: 2 ** 32 } });
      expect(c.error.message, dims).toMatch(cause);
      expect(c.error.details.wasmHeapBytes as number, dims).toBeGreaterThan(0);
      expect(c.beside && c.smallAfter, dims).toBe(true);
      expect(c.tiny, dims).toEqual([6]);
      expect(c.rebuilt, dims).toBe(true); // its worker was replaced
      expect(c.again, dims).toBe('OUT_OF_MEMORY');
      expect(c.respawns, dims).toBe(2);
    }
  });
});

declare global {
  interface Window {
    faultProgress: number;
    faultStruck: boolean;
  }
}
