import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { expectClose, fixture, openHarness } from './helpers.js';
import { idb, loadInPage, records, type PageLoad } from './servers/cache-page.js';
import { ModelServer, padModel } from './servers/model-server.js';

/**
 * The IndexedDB model cache, in real Chromium with real IndexedDB. Models are
 * served by a local test server that counts requests, honours Range, and can
 * throttle or drop a connection. Small chunks (4 KiB) give models of several
 * chunks; every test uses its own database.
 */

const f32 = fixture('mlp_f32');
const base = new Uint8Array(readFileSync(new URL('./fixtures/generated/mlp_f32.onnx', import.meta.url)));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sri = (b: Uint8Array) => `sha256-${createHash('sha256').update(b).digest('base64')}`;
const CHUNK = 4096;

let server: ModelServer;
let db: string;
let n = 0;

test.beforeAll(async () => {
  server = await ModelServer.start({ maxLifetimeMs: 3 * 60_000 });
});
test.afterAll(async () => server?.close());
test.beforeEach(async ({ page }) => {
  db = `pageinfer-test-${++n}-${Date.now()}`;
  await openHarness(page);
});

/** A fresh path serving `bytes` (a variant of mlp_f32 unless told). */
function host(name: string, bytes: Uint8Array = base, options = {}) {
  const path = `/${db}/${name}.onnx`;
  return { path, url: server.serve(path, bytes, options), bytes };
}

const load = (page: Page, args: PageLoad) =>
  loadInPage(page, { feeds: f32.example.feeds, ...args, cache: args.cache === false ? false : { dbName: db, chunkBytes: CHUNK, ...args.cache } });

function expectCorrect(r: { outputs?: Record<string, unknown>; error?: unknown }) {
  expect(r.error).toBeUndefined();
  expectClose(r.outputs as never, f32.example.expected, f32.atol);
}

test.describe('cache', () => {
  test('downloads once, then loads from IndexedDB, verified; the management API round-trips', async ({ page }) => {
    const m = host('model');
    const first = await load(page, { url: m.url });
    expectCorrect(first);
    expect(first.phases).toEqual(['download', 'verify', 'compile']);
    expect(first.list).toHaveLength(1);
    expect(first.list[0]).toMatchObject({ sha256: sha256(base), integrity: sri(base), size: base.byteLength, urls: [m.url], chunks: Math.ceil(base.byteLength / CHUNK) });
    expect(first.list[0].etag).toMatch(/^"/);

    const second = await load(page, { url: m.url });
    expectCorrect(second);
    expect(second.phases).toEqual(['cache-read', 'verify', 'compile']);
    const last = (phase: string) => second.progress.filter((p) => p.phase === phase).at(-1)!;
    expect(last('cache-read')).toMatchObject({ loaded: base.byteLength, total: base.byteLength });
    expect(last('verify')).toMatchObject({ loaded: base.byteLength, total: base.byteLength });
    expect(server.gets(m.path)).toHaveLength(1);
    expect(second.list[0].lastUsedAt).toBeGreaterThanOrEqual(first.list[0].lastUsedAt);
    expect(second.usage).toMatchObject({ available: true, entries: 1, bytes: base.byteLength, partials: 0, budgetBytes: Infinity });
    expect(second.usage.estimate!.quota).toBeGreaterThan(0);

    const api = await page.evaluate(
      async ({ db, url, hex, integrity }) => {
        const cache = window.pageinfer.createEngine({ cache: { dbName: db } }).cache;
        const relative = new URL(url).pathname; // not on this origin: a different URL
        const r = {
          hasUrl: await cache.has(url),
          hasHex: await cache.has(hex),
          hasSri: await cache.has(integrity),
          hasOther: await cache.has(relative),
          deleteOther: await cache.delete(relative),
          deleteUrl: await cache.delete(url),
          hasUrlAfter: await cache.has(url),
          hasHexAfter: await cache.has(hex),
          listAfter: (await cache.list()).length,
        };
        return r;
      },
      { db, url: m.url, hex: sha256(base), integrity: sri(base) },
    );
    expect(api).toEqual({ hasUrl: true, hasHex: true, hasSri: true, hasOther: false, deleteOther: false, deleteUrl: true, hasUrlAfter: false, hasHexAfter: false, listAfter: 0 });
    expect(await records(page, db)).toEqual({ entries: [], urls: [], partials: [], chunks: [] });

    // Stored again, then deleted by hash; then clear() empties everything.
    expectCorrect(await load(page, { url: m.url }));
    expect(server.gets(m.path)).toHaveLength(2);
    const byHash = await page.evaluate(
      async ({ db, hex, other }) => {
        const engine = window.pageinfer.createEngine({ cache: { dbName: db, chunkBytes: 4096 } });
        const info = await engine.cache.add(other);
        const afterAdd = (await engine.cache.list()).map((e) => e.urls);
        const deleted = await engine.cache.delete(hex);
        const afterDelete = (await engine.cache.list()).map((e) => e.urls);
        await engine.cache.clear();
        return { info, afterAdd, deleted, afterDelete, afterClear: await engine.cache.usage() };
      },
      { db, hex: sha256(base), other: host('other', padModel(base, 3000, 7)).url },
    );
    expect(byHash.info.size).toBe(base.byteLength + 3000 + 4);
    expect(byHash.afterAdd).toHaveLength(2);
    expect(byHash.deleted).toBe(true);
    expect(byHash.afterDelete).toEqual([[server.url(`/${db}/other.onnx`)]]);
    expect(byHash.afterClear).toMatchObject({ entries: 0, bytes: 0, partials: 0 });
    expect(await records(page, db)).toEqual({ entries: [], urls: [], partials: [], chunks: [] });
  });

  test('a flipped byte, a missing chunk, a truncated chunk or damaged metadata is detected, evicted and re-fetched', async ({ page }) => {
    const m = host('model');
    expectCorrect(await load(page, { url: m.url }));
    const hex = sha256(base);
    const entry = (await idb<{ chunks: Array<{ hash: string }> }>(page, db, { op: 'get', key: `e:${hex}` }))!;
    const chunk = (i: number) => `c:${entry.chunks[i].hash}`;

    const damage: Array<[string, () => Promise<unknown>]> = [
      ['flipped byte', () => idb(page, db, { op: 'flip', key: chunk(2), at: 100 })],
      ['missing chunk', () => idb(page, db, { op: 'delete', key: chunk(0) })],
      ['truncated chunk', () => idb(page, db, { op: 'truncate', key: chunk(1), length: 1000 })],
      ['truncated entry metadata', async () => idb(page, db, { op: 'put', key: `e:${hex}`, value: { ...entry, chunks: entry.chunks.slice(0, 2) } })],
      ['garbage URL index', () => idb(page, db, { op: 'put', key: `u:${m.url}`, value: { v: 1, url: m.url } })],
    ];
    let downloads = 1;
    for (const [what, corrupt] of damage) {
      await corrupt();
      const r = await load(page, { url: m.url });
      expectCorrect(r);
      expect(r.warnings.map((w) => w.code), what).toEqual(['CACHE_CORRUPT']);
      expect(server.gets(m.path), what).toHaveLength(++downloads);
      expect(r.list.map((e) => e.sha256), what).toEqual([hex]);
      // healed: the next load reads the cache again
      const again = await load(page, { url: m.url });
      expectCorrect(again);
      expect(again.warnings, what).toEqual([]);
      expect(server.gets(m.path), what).toHaveLength(downloads);
    }

    // Offline ('cache-only') with a corrupt entry: a typed miss, never bad bytes.
    await idb(page, db, { op: 'flip', key: chunk(0), at: 0 });
    const offline = await load(page, { url: m.url, policy: 'cache-only' });
    expect(offline.error).toMatchObject({ code: 'CACHE_MISS', name: 'CacheMissError', isOwnClass: true, details: { reason: 'corrupt' } });
    expect(offline.warnings.map((w) => w.code)).toEqual(['CACHE_CORRUPT']);
    expect(offline.list).toEqual([]);
    expect(server.gets(m.path)).toHaveLength(downloads);
  });

  test('a dropped connection leaves only an incomplete record; the next load resumes with Range', async ({ page }) => {
    const m = host('model', base, { dropAfterBytes: 9000, dropTimes: 1 });
    const broken = await load(page, { url: m.url });
    expect(broken.error).toMatchObject({ code: 'FETCH_FAILED' });
    expect(broken.list).toEqual([]);
    expect(broken.usage).toMatchObject({ entries: 0, partials: 1 });
    const partialBytes = broken.usage.partialBytes;
    expect(partialBytes).toBeGreaterThan(0);
    expect(partialBytes).toBeLessThanOrEqual(9000);
    const recs = await records(page, db);
    expect(recs.entries).toEqual([]);
    expect(recs.urls).toEqual([]);
    expect(recs.partials).toEqual([m.url]);
    expect(await page.evaluate(async ({ db, url }) => window.pageinfer.createEngine({ cache: { dbName: db } }).cache.has(url), { db, url: m.url })).toBe(false);

    const resumed = await load(page, { url: m.url });
    expectCorrect(resumed);
    const gets = server.gets(m.path);
    expect(gets).toHaveLength(2);
    expect(gets[1]).toMatchObject({ range: `bytes=${partialBytes}-`, status: 206, sent: base.byteLength - partialBytes });
    expect(resumed.list).toEqual([expect.objectContaining({ sha256: sha256(base), size: base.byteLength })]);
    expect(resumed.usage).toMatchObject({ entries: 1, partials: 0 });
  });

  test('an aborted download keeps its chunks as a partial; resume restarts cleanly when the server ignores Range or the file changed', async ({ page }) => {
    const slow = { bytesPerSecond: 40_000 };
    const m = host('model', base, slow);
    const aborted = await load(page, { url: m.url, abortAt: { phase: 'download', loaded: 8192 } });
    expect(aborted.error).toMatchObject({ code: 'ABORTED', name: 'AbortError', isOwnClass: true });
    expect(aborted.list).toEqual([]);
    expect(aborted.usage.partials).toBe(1);

    // The server stops supporting ranges: a plain 200, the partial is discarded, bytes are right.
    server.configure(m.path, { ranges: false });
    const restarted = await load(page, { url: m.url });
    expectCorrect(restarted);
    expect(server.gets(m.path).at(-1)).toMatchObject({ status: 200, sent: base.byteLength });
    expect(restarted.list.map((e) => e.sha256)).toEqual([sha256(base)]);

    // Interrupted again, then the file changes on the server: the Range answer is of another version.
    const v2 = padModel(base, 2000, 3);
    const c = host('changing', base, slow);
    const cut = await load(page, { url: c.url, abortAt: { phase: 'download', loaded: 8192 } });
    expect(cut.error?.code).toBe('ABORTED');
    server.serve(c.path, v2);
    const fresh = await load(page, { url: c.url });
    expectCorrect(fresh);
    const gets = server.gets(c.path);
    expect(gets.at(-2)).toMatchObject({ range: expect.stringMatching(/^bytes=\d+-$/), status: 206 });
    expect(gets.at(-1)).toMatchObject({ range: undefined, status: 200, sent: v2.byteLength });
    expect(fresh.list.find((e) => e.urls.includes(c.url))).toMatchObject({ sha256: sha256(v2) });
    expect(fresh.usage.partials).toBe(0);
  });

  test('abort is honoured while reading the cache', async ({ page }) => {
    const m = host('model');
    expectCorrect(await load(page, { url: m.url }));
    const r = await load(page, { url: m.url, abortAt: { phase: 'cache-read', loaded: 1 } });
    expect(r.error).toMatchObject({ code: 'ABORTED' });
    expect(r.list).toHaveLength(1); // an aborted read does not evict
  });

  test('integrity: a mismatch is an IntegrityError and nothing is stored; a match by hash needs no network', async ({ page }) => {
    const m = host('model');
    const wrong = sri(padModel(base, 10, 1));
    const bad = await load(page, { url: m.url, integrity: wrong });
    expect(bad.error).toMatchObject({ code: 'INTEGRITY', name: 'IntegrityError', isOwnClass: true, details: { actual: sri(base) } });
    expect(bad.list).toEqual([]);
    expect(await records(page, db)).toEqual({ entries: [], urls: [], partials: [], chunks: [] });

    const good = await load(page, { url: m.url, integrity: `sha384-${createHash('sha384').update(base).digest('base64')}` });
    expectCorrect(good);
    expect(good.list.map((e) => e.sha256)).toEqual([sha256(base)]);

    // The same bytes named by their sha256 are found by content address, even under another URL.
    const mirror = host('mirror');
    const byHash = await load(page, { url: mirror.url, integrity: sri(base) });
    expectCorrect(byHash);
    expect(server.gets(mirror.path)).toHaveLength(0);
    expect(byHash.list[0].urls.sort()).toEqual([m.url, mirror.url].sort());

    // A cached copy that does not match the integrity asked for is not used.
    const other = padModel(base, 100, 9);
    const changed = host('model', other);
    const refreshed = await load(page, { url: changed.url, integrity: sri(other) });
    expectCorrect(refreshed);
    expect(server.gets(m.path)).toHaveLength(3);
    expect(refreshed.list.map((e) => e.sha256)).toContain(sha256(other));

    const unparseable = await load(page, { url: m.url, integrity: 'md5-abc' });
    expect(unparseable.error).toMatchObject({ code: 'INTEGRITY', message: expect.stringMatching(/SRI form/) });
  });

  test('policies: revalidate, network-only, cache-only', async ({ page }) => {
    const m = host('model');
    const miss = await load(page, { url: m.url, policy: 'cache-only' });
    expect(miss.error).toMatchObject({ code: 'CACHE_MISS', name: 'CacheMissError', details: { reason: 'missing' } });
    expect(server.gets(m.path)).toHaveLength(0);

    expectCorrect(await load(page, { url: m.url }));
    const offline = await load(page, { url: m.url, policy: 'cache-only' });
    expectCorrect(offline);
    expect(server.gets(m.path)).toHaveLength(1);

    const same = await load(page, { url: m.url, policy: 'revalidate' });
    expectCorrect(same);
    expect(same.phases).toContain('cache-read');
    const conditional = server.gets(m.path).at(-1)!;
    expect(conditional).toMatchObject({ status: 304, sent: 0 });
    expect(conditional.ifNoneMatch).toMatch(/^"/);
    expect(conditional.ifModifiedSince).toBeTruthy();

    const v2 = padModel(base, 500, 2);
    server.serve(m.path, v2);
    const updated = await load(page, { url: m.url, policy: 'revalidate' });
    expectCorrect(updated);
    expect(server.gets(m.path).at(-1)).toMatchObject({ status: 200, sent: v2.byteLength });
    expect(updated.list.find((e) => e.urls.includes(m.url))).toMatchObject({ sha256: sha256(v2) });

    server.configure(m.path, { status: 503 });
    const stale = await load(page, { url: m.url, policy: 'revalidate' });
    expectCorrect(stale);
    expect(stale.warnings.map((w) => w.code)).toEqual(['CACHE_STALE']);
    server.configure(m.path, {});

    const before = server.gets(m.path).length;
    const net = await load(page, { url: m.url, policy: 'network-only' });
    expectCorrect(net);
    expect(net.phases).toEqual(['download', 'verify', 'compile']);
    expect(server.gets(m.path)).toHaveLength(before + 1);
    expect(net.list.find((e) => e.urls.includes(m.url))!.lastUsedAt).toBe(updated.list.find((e) => e.urls.includes(m.url))!.lastUsedAt);
  });

  test('a byte budget evicts least recently used entries; a model over budget loads uncached with a warning', async ({ page }) => {
    const size = base.byteLength + 1000;
    const [a, b, c] = [1, 2, 3].map((i) => host(`m${i}`, padModel(base, 1000 - 4, i)));
    const budget = { budgetBytes: Math.floor(size * 2.5) };
    for (const m of [a, b]) expectCorrect(await load(page, { url: m.url, cache: budget }));
    await page.waitForTimeout(5); // distinct lastUsedAt
    expectCorrect(await load(page, { url: a.url, cache: budget })); // a is now more recent than b
    await page.waitForTimeout(5);
    const third = await load(page, { url: c.url, cache: budget });
    expectCorrect(third);
    expect(third.list.map((e) => e.urls[0])).toEqual([c.url, a.url]);
    expect(third.usage.bytes).toBeLessThanOrEqual(budget.budgetBytes);
    expect(server.gets(a.path)).toHaveLength(1);

    const tooBig = await load(page, { url: host('big', padModel(base, 40_000, 4)).url, cache: budget });
    expectCorrect(tooBig);
    expect(tooBig.warnings.map((w) => w.code)).toEqual(['CACHE_QUOTA']);
    expect(tooBig.list.map((e) => e.urls[0])).toEqual([c.url, a.url]);
    expect((await records(page, db)).partials).toEqual([]);
  });

  test('storage quota exhausted mid-write: older entries are evicted and the write retried, else the model loads uncached with a warning', async ({ page, baseURL }) => {
    const cdp = await page.context().newCDPSession(page);
    const origin = new URL(baseURL!).origin;
    const setQuota = (quotaSize?: number) => cdp.send('Storage.overrideQuotaForOrigin', quotaSize === undefined ? { origin } : { origin, quotaSize });
    const usage = async () => (await cdp.send('Storage.getUsageAndQuota', { origin })).usage;
    try {
      const big = 120_000;
      const [a, b, c] = [1, 2, 3].map((i) => host(`q${i}`, padModel(base, big, i)));
      const opts = { cache: { chunkBytes: 16_384 } };
      await page.evaluate((db) => window.pageinfer.createEngine({ cache: { dbName: db } }).cache.usage(), db); // creates the database

      // No room, nothing to evict: the model loads from memory, uncached, with the event.
      await setQuota((await usage()) + 20_000);
      const starved = await load(page, { url: c.url, ...opts });
      expectCorrect(starved);
      expect(starved.warnings.map((w) => w.code)).toEqual(['CACHE_QUOTA']);
      expect(starved.warnings[0].message).toMatch(/QuotaExceededError/);
      expect(starved.list).toEqual([]);
      expect(await records(page, db)).toEqual({ entries: [], urls: [], partials: [], chunks: [] });

      // Room for about one model, not two: b's writes hit the quota, a is evicted, the writes go on.
      await setQuota(undefined);
      expectCorrect(await load(page, { url: a.url, ...opts }));
      await setQuota((await usage()) + big * 0.6);
      const second = await load(page, { url: b.url, ...opts });
      expectCorrect(second);
      expect(second.warnings).toEqual([]);
      expect(second.list.map((e) => e.urls[0])).toEqual([b.url]);
    } finally {
      await setQuota(undefined);
    }
  });

  test('without IndexedDB, loads still work, uncached, with a warning; cache-only is a typed miss', async ({ page }) => {
    const m = host('model');
    const r = await load(page, { url: m.url, breakIndexedDB: true });
    expectCorrect(r);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'CACHE_UNAVAILABLE', message: expect.stringMatching(/disabled by a test/) })]);
    expect(r.usage.available).toBe(false);
    expect(r.list).toEqual([]);
    const offline = await load(page, { url: m.url, breakIndexedDB: true, policy: 'cache-only' });
    expect(offline.error).toMatchObject({ code: 'CACHE_MISS', details: { reason: 'unavailable' } });
  });

  test('concurrent loads of one model in a page share one download, and one caller aborting does not stop the other', async ({ page }) => {
    const m = host('model', base, { bytesPerSecond: 100_000 });
    const r = await page.evaluate(
      async ({ db, url, feeds }) => {
        const engines = [0, 1, 2].map(() => window.pageinfer.createEngine({ cache: { dbName: db, chunkBytes: 4096 } }));
        const quitter = new AbortController();
        const phases: string[][] = [[], [], []];
        const loads = engines.map((e, i) =>
          e
            .load(url, {
              signal: i === 2 ? quitter.signal : undefined,
              onProgress: (p) => {
                phases[i].push(p.phase);
                if (i === 2 && p.phase === 'download' && p.loaded > 4000) quitter.abort();
              },
            })
            .then(async (model) => Array.from((await model.run(window.harness.feedsOf(feeds))).y.data as Float32Array))
            .catch((e) => window.harness.caught(e)),
        );
        const results = await Promise.all(loads);
        const list = await engines[0].cache.list();
        await Promise.all(engines.map((e) => e.dispose()));
        return { results, list, downloads: phases.map((p) => p.filter((x) => x === 'download').length) };
      },
      { db, url: m.url, feeds: f32.example.feeds },
    );
    expect(server.gets(m.path)).toHaveLength(1);
    expectClose({ y: { ...f32.example.expected.y, data: r.results[0] as number[] } }, f32.example.expected, f32.atol);
    expect(r.results[1]).toEqual(r.results[0]);
    expect(r.results[2]).toMatchObject({ code: 'ABORTED' });
    expect(r.downloads[0]).toBeGreaterThan(1);
    expect(r.downloads[1]).toBeGreaterThan(1);
    expect(r.list).toHaveLength(1);
  });

  test('a cache switched off downloads every time and stores nothing', async ({ page }) => {
    const m = host('model');
    for (let i = 0; i < 2; i++) expectCorrect(await load(page, { url: m.url, cache: false }));
    expect(server.gets(m.path)).toHaveLength(2);
    const size = await page.evaluate(async (url) => {
      const engine = window.pageinfer.createEngine();
      const model = await engine.load(url, { cache: 'network-only' });
      const n = model.info.sizeBytes;
      await engine.dispose();
      return n;
    }, m.url);
    expect(size).toBe(base.byteLength);
    expect(server.gets(m.path)).toHaveLength(3);
  });
});
