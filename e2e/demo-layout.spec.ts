/**
 * The demo's layout on a phone (390 × 844) and a laptop (1280 × 800): one page load per viewport,
 * checked once the demos have produced their numbers. It fails on sideways overflow of the page, a key
 * table cell (what the float / int8 comparison and the playground's latency columns are for) outside
 * the viewport or clipped by a scrolling box, a sticky or fixed element over the digit canvas, "Draw it"
 * wrapped away from its select, and any console or page error. Full-page screenshots go to the report as
 * attachments, never compared pixel by pixel: the numbers in them differ per run and per machine.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';

/** Columns the tables exist for, by header text: they must be readable without scrolling sideways. */
const keyColumns = [
  { table: '#ocr-compare', columns: ['last read', 'median', 'text'] },
  { table: '#pg-results', columns: ['req/s', 'p50', 'p95', 'mean batch', 'queue / compute p50'] },
];

const viewports = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
];

// One context for both pages: the second load reads the models from the cache the first one filled.
let context: BrowserContext;
test.use({ trace: 'off' });
test.beforeAll(async ({ browser }) => {
  context = await browser.newContext();
});
test.afterAll(async () => context?.close());

/** Opens the demo and waits for every number the layout checks look at: a prediction, an OCR comparison, a playground run. */
async function openWithNumbers(page: Page): Promise<void> {
  await test.step('a digit predicted', async () => {
    // No HMR socket: a source file saved meanwhile must not reload the page mid-test.
    await page.routeWebSocket(() => true, () => {});
    await page.goto('/demo/');
    await expect(page.locator('#digit-canvas')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
    await page.getByLabel('Example').selectOption('3');
    await page.getByRole('button', { name: 'Draw it' }).click();
    await expect(page.locator('#digit-result')).toHaveAttribute('data-top', /\d/, { timeout: 15_000 });
  });
  await test.step('float and int8 OCR compared', async () => {
    // The OCR models load when their section scrolls into view; the comparison reads with both precisions.
    await page.locator('#ocr-section').evaluate((el) => el.scrollIntoView());
    await expect(page.locator('#ocr-output')).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    const compare = page.getByRole('button', { name: 'Compare float and int8 on this image' });
    await compare.click();
    await expect(compare).toBeEnabled({ timeout: 60_000 });
  });
  await test.step('a playground run', async () => {
    await page.locator('#pg-seconds').fill('1');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.locator('#pg-summary')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  });
}

/** Every layout problem on the page, in words (empty when there is none). Runs in the page. */
function layoutProblems(keys: typeof keyColumns): string[] {
  const problems: string[] = [];
  const root = document.scrollingElement!;
  const viewportWidth = root.clientWidth;
  if (root.scrollWidth > viewportWidth) problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in a ${viewportWidth} px viewport`);

  // Key cells: inside the viewport, and not cut off by an ancestor that scrolls or clips sideways.
  for (const { table, columns } of keys) {
    const headers = [...document.querySelectorAll(`${table} thead th`)].map((th) => th.textContent!.trim());
    const rows = [...document.querySelectorAll<HTMLTableRowElement>(`${table} tbody tr`)].filter((tr) => ![...tr.cells].some((c) => c.colSpan > 1));
    if (!rows.length) problems.push(`${table} has no rows to check`);
    for (const column of columns) {
      const index = headers.indexOf(column);
      if (index < 0) {
        problems.push(`${table} has no column "${column}"`);
        continue;
      }
      for (const [r, tr] of rows.entries()) {
        const cell = tr.cells[index];
        const where = `${table} row ${r + 1} "${column}"`;
        const box = cell.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) {
          problems.push(`${where} is not shown`);
          continue;
        }
        if (box.left < -0.5 || box.right > viewportWidth + 0.5) problems.push(`${where} spans x ${Math.round(box.left)}–${Math.round(box.right)}, outside the ${viewportWidth} px viewport`);
        for (let el = cell.parentElement; el && el !== document.body; el = el.parentElement) {
          if (getComputedStyle(el).overflowX === 'visible') continue;
          const left = el.getBoundingClientRect().left + el.clientLeft;
          if (box.left < left - 0.5 || box.right > left + el.clientWidth + 0.5) {
            problems.push(`${where} is cut off by its ${el.tagName.toLowerCase()}${el.className ? `.${el.className}` : ''} (overflow-x ${getComputedStyle(el).overflowX}, ${el.clientWidth} px visible)`);
            break;
          }
        }
      }
    }
  }

  // "Draw it" on the same line as the example it draws.
  const select = document.getElementById('digit-example')!.getBoundingClientRect();
  const drawIt = document.getElementById('digit-draw-example')!.getBoundingClientRect();
  if (drawIt.top >= select.bottom || drawIt.bottom <= select.top) problems.push('"Draw it" wrapped onto another line than its Example select');
  return problems;
}

/** Sticky or fixed elements over the digit canvas, with the canvas scrolled to the top, middle and bottom of the viewport. */
function coveredCanvas(): string[] {
  const canvas = document.getElementById('digit-canvas')!;
  const pinned = [...document.querySelectorAll<HTMLElement>('body *')].filter((el) => ['sticky', 'fixed'].includes(getComputedStyle(el).position));
  const problems: string[] = [];
  for (const block of ['start', 'center', 'end'] as const) {
    canvas.scrollIntoView({ block, behavior: 'instant' });
    const c = canvas.getBoundingClientRect();
    for (const el of pinned) {
      const p = el.getBoundingClientRect();
      const overlap = Math.min(c.bottom, p.bottom) - Math.max(c.top, p.top);
      if (p.width > 0 && overlap > 0.5 && Math.min(c.right, p.right) > Math.max(c.left, p.left)) {
        problems.push(`#${el.id || el.tagName.toLowerCase()} (${getComputedStyle(el).position}) covers ${Math.round(overlap)} px of the digit canvas scrolled to the ${block}`);
      }
    }
  }
  return problems;
}

for (const viewport of viewports) {
  test(`layout at ${viewport.width} × ${viewport.height}: key columns readable, nothing over the canvas, no overflow, no errors`, async () => {
    test.setTimeout(60_000);
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    try {
      await openWithNumbers(page);
      // Chart.js sizes its canvases in px after a resize observer fires: let it settle before measuring.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const problems = [...(await page.evaluate(layoutProblems, keyColumns)), ...(await page.evaluate(coveredCanvas))];
      await page.evaluate(() => window.scrollTo(0, 0));
      await test.info().attach(`demo-${viewport.width}.png`, { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
      expect(problems, 'layout problems').toEqual([]);
      expect(errors, 'console and page errors').toEqual([]);
    } finally {
      await page.close();
    }
  });
}
