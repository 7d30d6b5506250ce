import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, firefox, test, type BrowserContext, type Page } from '@playwright/test';
import { chromiumArgs, chromiumPath, firefoxPath } from './browsers.js';
import { expectClose, fixture, openHarness } from './helpers.js';
import { loadInPage } from './servers/cache-page.js';
import { ModelServer } from './servers/model-server.js';

/** The model cache across browser launches and across tabs, in real Chromium and Firefox. */

const f32 = fixture('mlp_f32');
const base = new Uint8Array(readFileSync(new URL('./fixtures/generated/mlp_f32.onnx', import.meta.url)));
const sha256 = createHash('sha256').update(base).digest('hex');

let server: ModelServer;
test.beforeAll(async () => {
  server = await ModelServer.start({ maxLifetimeMs: 2 * 60_000 });
});
test.afterAll(async () => server?.close());

/** The harness, cut off from Vite's HMR socket: a source file edited meanwhile must not reload the page mid-test. */
async function open(page: Page) {
  await page.routeWebSocket(() => true, () => {});
  await openHarness(page);
}

/** A browser of the project's kind with a profile kept in `dir`. */
function launchProfile(browserName: string, dir: string, baseURL: string | undefined): Promise<BrowserContext> {
  return browserName === 'firefox'
    ? firefox.launchPersistentContext(dir, { channel: 'moz-firefox', executablePath: firefoxPath, baseURL })
    : chromium.launchPersistentContext(dir, { executablePath: chromiumPath, args: chromiumArgs, baseURL });
}

test('the cache persists across two browser launches with the same profile; the second launch makes no request', async ({ baseURL, browserName }) => {
  const dir = mkdtempSync(join(tmpdir(), 'pageinfer-profile-'));
  const path = '/persist/model.onnx';
  const url = server.serve(path, base);
  try {
    for (const launch of [1, 2]) {
      const context = await launchProfile(browserName, dir, baseURL);
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        await open(page);
        // The second launch builds and runs the model from what the first one stored.
        const feeds = launch === 2 ? f32.example.feeds : undefined;
        const r = await loadInPage(page, { url, feeds, cache: { dbName: 'persist', chunkBytes: 4096 } });
        expect(r.error).toBeUndefined();
        if (launch === 1) expect(r.sha256).toBe(sha256);
        else expectClose(r.outputs!, f32.example.expected, f32.atol);
        expect(r.phases[0]).toBe(launch === 1 ? 'download' : 'cache-read');
        expect(r.list.map((e) => e.sha256)).toEqual([sha256]);
        expect(server.gets(path)).toHaveLength(1);
      } finally {
        await context.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two tabs loading the same model at once: one downloads (Web Locks), the other reads the cache', async ({ context }) => {
  const path = '/tabs/model.onnx';
  const url = server.serve(path, base, { delayMs: 1000, bytesPerSecond: 40_000 });
  const pages = [await context.newPage(), await context.newPage()];
  await Promise.all(pages.map(open));
  const results = await Promise.all(pages.map((page) => loadInPage(page, { url, cache: { dbName: 'tabs', chunkBytes: 4096 } })));
  for (const r of results) {
    expect(r.error).toBeUndefined();
    expect(r.sha256).toBe(sha256);
  }
  expect(Math.max(...results.map((r) => r.startedAt))).toBeLessThan(Math.min(...results.map((r) => r.settledAt))); // they overlapped
  expect(server.gets(path)).toHaveLength(1);
  expect(results.map((r) => r.phases[0]).sort()).toEqual(['cache-read', 'download']);
  expect(results.every((r) => r.list.length === 1)).toBe(true);
});

test('another tab upgrading the cache database is not blocked: the cache closes its connection, and reopens on its next use', async ({ context }) => {
  const path = '/tabs/upgrade.onnx';
  const url = server.serve(path, base);
  const [a, b] = [await context.newPage(), await context.newPage()];
  await Promise.all([a, b].map(open));
  const first = await a.evaluate(async ([url]) => {
    const engine = window.pageinfer.createEngine({ cache: { dbName: 'upgrade' } });
    (window as unknown as { kept: typeof engine }).kept = engine; // its connection stays open
    return (await engine.cache.fetch(url)).byteLength;
  }, [url] as const);
  const upgrade = await b.evaluate(async () => {
    const request = indexedDB.open('upgrade', 99); // what a newer schema would do
    let blocked = false;
    request.onblocked = () => (blocked = true);
    request.onupgradeneeded = () => request.result.createObjectStore('newer');
    const opened = await Promise.race([
      new Promise<boolean>((resolve) => (request.onsuccess = () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000)),
    ]);
    if (opened) request.result.close();
    return { opened, blocked };
  });
  const again = await a.evaluate(async ([url]) => {
    const engine = (window as unknown as { kept: ReturnType<typeof window.pageinfer.createEngine> }).kept;
    const phases: string[] = [];
    const bytes = await engine.cache.fetch(url, { onProgress: (p) => void phases.push(p.phase) });
    const list = await engine.cache.list();
    await engine.dispose();
    return { length: bytes.byteLength, phases: [...new Set(phases)], listed: list.length };
  }, [url] as const);
  expect(first).toBe(base.byteLength);
  expect(upgrade).toEqual({ opened: true, blocked: false });
  expect(again).toMatchObject({ length: base.byteLength, listed: 1 });
  expect(again.phases[0]).toBe('cache-read');
  expect(again.phases).not.toContain('download');
  expect(server.gets(path)).toHaveLength(1);
});

/** Runs `engine.cache[op]` in a page with its own engine; resolves to what it returned or the typed error. */
function cacheOp(page: Page, op: 'delete' | 'clear', args: { db: string; url?: string; lockTimeoutMs?: number }) {
  return page.evaluate(
    async ({ op, db, url, lockTimeoutMs }) => {
      const engine = window.pageinfer.createEngine({ cache: { dbName: db, lockTimeoutMs } });
      try {
        return { value: op === 'delete' ? await engine.cache.delete(url!) : await engine.cache.clear() };
      } catch (e) {
        return { error: window.harness.caught(e) };
      } finally {
        await engine.dispose();
      }
    },
    { op, ...args },
  );
}

test('delete and clear in another tab wait for a load that holds the model (no false CACHE_CORRUPT); a short lockTimeoutMs ends the wait with TIMEOUT', async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await Promise.all([a, b].map(open));
  for (const op of ['delete', 'clear'] as const) {
    const db = `locks-${op}`;
    const path = `/tabs/locked-${op}.onnx`;
    const url = server.serve(path, base, { bytesPerSecond: 20_000 }); // about a second
    const loading = loadInPage(a, { url, cache: { dbName: db, chunkBytes: 4096 } });
    await expect.poll(() => server.gets(path)[0]?.sent ?? 0).toBeGreaterThan(4096); // a partial download is stored
    const impatient = await cacheOp(b, op, { db, url, lockTimeoutMs: 100 });
    expect(impatient.error).toMatchObject({ code: 'TIMEOUT', details: { lock: expect.stringContaining(op === 'delete' ? url : db) } });
    const patient = await cacheOp(b, op, { db, url });
    // Without the lock, the partial download would have been deleted under the load: it waited for the last byte instead.
    expect(server.gets(path)[0].sent).toBe(base.byteLength);
    expect(patient.error).toBeUndefined();
    if (op === 'delete') expect(patient.value).toBe(true);
    const r = await loading;
    expect(r.error).toBeUndefined();
    expect(r.sha256).toBe(sha256);
    expect(r.warnings).toEqual([]);
    expect(server.gets(path)).toHaveLength(1);
    const after = await loadInPage(b, { url, cache: { dbName: db }, policy: 'cache-only' });
    expect(after.error).toMatchObject({ code: 'CACHE_MISS' });
  }
});

test('loads of one URL share a download only when they send the same headers', async ({ page }) => {
  await open(page);
  const path = '/tabs/headers.onnx';
  const url = server.serve(path, base, { bytesPerSecond: 40_000 });
  const digests = await page.evaluate(
    async ({ url }) => {
      const engine = window.pageinfer.createEngine({ cache: false });
      const fetchAs = (token: string) => engine.cache.fetch(url, { fetchInit: { headers: { 'X-Token': token } } });
      const all = await Promise.all([fetchAs('a'), fetchAs('a'), fetchAs('b')]);
      await engine.dispose();
      return all.map((bytes) => bytes.byteLength);
    },
    { url },
  );
  expect(digests).toEqual([base.byteLength, base.byteLength, base.byteLength]);
  expect(server.gets(path).map((g) => g.token).sort()).toEqual(['a', 'b']);
});
