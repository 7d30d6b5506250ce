import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, firefox, test, type BrowserContext, type Page } from '@playwright/test';
import { firefoxPath } from './browsers.js';
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
/**
 * One page for the whole file (each test has its own database): onnxruntime's
 * wasm is then fetched and compiled once, not once per test.
 */
let context: BrowserContext;
let page: Page;

test.beforeAll(async ({ browser }) => {
  server = await ModelServer.start({ maxLifetimeMs: 4 * 60_000 });
  context = await browser.newContext();
  page = await context.newPage();
  await open(page);
});
test.afterAll(async () => {
  await context?.close();
  await server?.close();
});
test.beforeEach(() => {
  db = `pageinfer-test-${++n}-${Date.now()}`;
});

/** The harness, cut off from Vite's HMR socket: a source file edited meanwhile must not reload the page mid-test. */
async function open(page: Page) {
  await page.routeWebSocket(() => true, () => {});
  await openHarness(page);
}

/** A fresh path serving `bytes` (a variant of mlp_f32 unless told). */
function host(name: string, bytes: Uint8Array = base, options = {}) {
  const path = `/${db}/${name}.onnx`;
  return { path, url: server.serve(path, bytes, options), bytes };
}

const config = (cache: PageLoad['cache']) => (cache === false ? false : { dbName: db, chunkBytes: CHUNK, ...cache });
/** engine.load + run: the whole path, compile included. */
const load = (page: Page, args: PageLoad) => loadInPage(page, { feeds: f32.example.feeds, ...args, cache: config(args.cache) });
/** engine.cache.fetch: the same bytes path, without building a session (much faster). */
const get = (page: Page, args: PageLoad) => loadInPage(page, { ...args, feeds: undefined, cache: config(args.cache) });

function expectCorrect(r: { outputs?: Record<string, unknown>; error?: unknown }) {
  expect(r.error).toBeUndefined();
  expectClose(r.outputs as never, f32.example.expected, f32.atol);
}

function expectBytes(r: { sha256?: string; error?: unknown }, bytes: Uint8Array) {
  expect(r.error).toBeUndefined();
  expect(r.sha256).toBe(sha256(bytes));
}

test.describe('cache', () => {
  test('downloads once, then loads from IndexedDB, verified; the management API round-trips', async () => {
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
        const elsewhere = new URL(url).pathname; // resolves against the page's origin: another URL
        return {
          hasUrl: await cache.has(url),
          hasHex: await cache.has(hex),
          hasSri: await cache.has(integrity),
          hasElsewhere: await cache.has(elsewhere),
          deleteElsewhere: await cache.delete(elsewhere),
          deleteUrl: await cache.delete(url),
          hasUrlAfter: await cache.has(url),
          hasHexAfter: await cache.has(hex),
          listAfter: (await cache.list()).length,
        };
      },
      { db, url: m.url, hex: sha256(base), integrity: sri(base) },
    );
    expect(api).toEqual({ hasUrl: true, hasHex: true, hasSri: true, hasElsewhere: false, deleteElsewhere: false, deleteUrl: true, hasUrlAfter: false, hasHexAfter: false, listAfter: 0 });
    expect(await records(page, db)).toEqual({ entries: [], urls: [], partials: [], chunks: [] });

    // Stored again, plus a second model through add(); one deleted by hash; then clear() empties everything.
    expectBytes(await get(page, { url: m.url }), base);
    expect(server.gets(m.path)).toHaveLength(2);
    const other = host('other', padModel(base, 3000, 7));
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
      { db, hex: sha256(base), other: other.url },
    );
    expect(byHash.info).toMatchObject({ sha256: sha256(other.bytes), size: other.bytes.byteLength, urls: [other.url] });
    expect(byHash.afterAdd).toHaveLength(2);
    expect(byHash.deleted).toBe(true);
    expect(byHash.afterDelete).toEqual([[other.url]]);
    expect(byHash.afterClear).toMatchObject({ entries: 0, bytes: 0, partials: 0 });
    expect(await records(page, db)).toEqual({ entries: [], urls: [], partials: [], chunks: [] });
  });

  test('a flipped byte, a missing or truncated chunk, or damaged metadata is detected, evicted and re-fetched', async () => {
    const m = host('model');
    expectBytes(await get(page, { url: m.url }), base);
    const hex = sha256(base);
    const entry = (await idb<{ chunks: Array<{ hash: string }> }>(page, db, { op: 'get', key: `e:${hex}` }))!;
    const chunk = (i: number) => `c:${entry.chunks[i].hash}`;

    // A flipped byte: the model still runs correctly, from re-fetched bytes.
    await idb(page, db, { op: 'flip', key: chunk(2), at: 100 });
    const flipped = await load(page, { url: m.url });
    expectCorrect(flipped);
    expect(flipped.warnings.map((w) => w.code)).toEqual(['CACHE_CORRUPT']);
    expect(flipped.warnings[0].message).toMatch(/chunk 3 of 6 does not match its SHA-256/);
    // The bytes that served are the re-fetched ones; a session built on the cached copy while it was checked was thrown away.
    expect(flipped.info!.origin).toEqual({ from: 'network', bytes: { network: base.byteLength, cache: 0, memory: 0 } });
    const sessions = flipped.info!.timings.timeline.filter((s) => s.step === 'session');
    expect(sessions.at(-1)!.detail).toBeUndefined();
    expect(sessions.slice(0, -1).every((s) => s.detail?.startsWith('discarded'))).toBe(true);
    expect(flipped.list.map((e) => e.sha256)).toEqual([hex]);
    let downloads = 2;
    expect(server.gets(m.path)).toHaveLength(downloads);

    const damage: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['missing chunk', () => idb(page, db, { op: 'delete', key: chunk(0) }), /chunk 1 of 6 is missing/],
      ['truncated chunk', () => idb(page, db, { op: 'truncate', key: chunk(1), length: 1000 }), /chunk 2 of 6 has the wrong size/],
      ['truncated entry metadata', () => idb(page, db, { op: 'put', key: `e:${hex}`, value: { ...entry, chunks: entry.chunks.slice(0, 2) } }), /malformed/],
      ['garbage URL index', () => idb(page, db, { op: 'put', key: `u:${m.url}`, value: { v: 1, url: m.url } }), /malformed/],
    ];
    for (const [what, corrupt, message] of damage) {
      await corrupt();
      const r = await get(page, { url: m.url });
      expectBytes(r, base);
      expect(r.warnings.map((w) => w.code), what).toEqual(['CACHE_CORRUPT']);
      expect(r.warnings[0].message, what).toMatch(message);
      expect(server.gets(m.path), what).toHaveLength(++downloads);
      expect(r.list.map((e) => e.sha256), what).toEqual([hex]);
    }
    // Healed: read from the cache again, no warning, no request.
    const again = await get(page, { url: m.url });
    expectBytes(again, base);
    expect(again.warnings).toEqual([]);
    expect(server.gets(m.path)).toHaveLength(downloads);
    expect((await records(page, db)).chunks).toHaveLength(6);

    // Offline ('cache-only') with a corrupt entry: a typed miss, never bad bytes.
    await idb(page, db, { op: 'flip', key: chunk(0), at: 0 });
    const offline = await load(page, { url: m.url, policy: 'cache-only' });
    expect(offline.error).toMatchObject({ code: 'CACHE_MISS', name: 'CacheMissError', isOwnClass: true, details: { reason: 'corrupt' } });
    expect(offline.warnings.map((w) => w.code)).toEqual(['CACHE_CORRUPT']);
    expect(offline.list).toEqual([]);
    expect(server.gets(m.path)).toHaveLength(downloads);
  });

  test('a dropped connection leaves only an incomplete record; the next load resumes with Range', async () => {
    const m = host('model', base, { dropAfterBytes: 9000, dropTimes: 1 });
    const broken = await get(page, { url: m.url });
    expect(broken.error).toMatchObject({ code: 'FETCH_FAILED', name: 'FetchError' });
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

    const resumed = await get(page, { url: m.url });
    expectBytes(resumed, base);
    const gets = server.gets(m.path);
    expect(gets).toHaveLength(2);
    expect(gets[1]).toMatchObject({ range: `bytes=${partialBytes}-`, status: 206, sent: base.byteLength - partialBytes });
    expect(resumed.list).toEqual([expect.objectContaining({ sha256: sha256(base), size: base.byteLength })]);
    expect(resumed.usage).toMatchObject({ entries: 1, partials: 0 });
  });

  test('an aborted download keeps a partial; resume restarts cleanly when the server ignores Range or the file changed', async () => {
    const slow = { bytesPerSecond: 40_000 };
    const m = host('model', base, slow);
    const aborted = await get(page, { url: m.url, abortAt: { phase: 'download', loaded: 8192 } });
    expect(aborted.error).toMatchObject({ code: 'ABORTED', name: 'AbortError', isOwnClass: true });
    expect(aborted.list).toEqual([]);
    expect(aborted.usage.partials).toBe(1);

    // The server stops supporting ranges: a plain 200, the partial is discarded, the bytes are right.
    server.configure(m.path, { ranges: false });
    const restarted = await get(page, { url: m.url });
    expectBytes(restarted, base);
    expect(server.gets(m.path)).toHaveLength(2); // the 200 to the Range request is used, not asked for again
    expect(server.gets(m.path)[1]).toMatchObject({ range: expect.stringMatching(/^bytes=[1-9]\d*-$/), status: 200, sent: base.byteLength });
    expect(restarted.list.map((e) => e.sha256)).toEqual([sha256(base)]);
    expect(restarted.usage.partials).toBe(0);

    // Interrupted again, then the file changes on the server: the Range answer is of another version.
    const v2 = padModel(base, 2000, 3);
    const c = host('changing', base, slow);
    const cut = await get(page, { url: c.url, abortAt: { phase: 'download', loaded: 8192 } });
    expect(cut.error?.code).toBe('ABORTED');
    server.serve(c.path, v2);
    const fresh = await get(page, { url: c.url });
    expectBytes(fresh, v2);
    const gets = server.gets(c.path);
    expect(gets.at(-2)).toMatchObject({ range: expect.stringMatching(/^bytes=\d+-$/), status: 206 });
    expect(gets.at(-1)).toMatchObject({ range: undefined, status: 200, sent: v2.byteLength });
    expect(fresh.list.find((e) => e.urls.includes(c.url))).toMatchObject({ sha256: sha256(v2) });
    expect(fresh.usage.partials).toBe(0);
  });

  test('abort is honoured while reading the cache', async () => {
    const m = host('model');
    expectBytes(await get(page, { url: m.url }), base);
    const r = await get(page, { url: m.url, abortAt: { phase: 'cache-read', loaded: 1 } });
    expect(r.error).toMatchObject({ code: 'ABORTED' });
    expect(r.list).toHaveLength(1); // an aborted read does not evict
  });

  test('integrity: a mismatch is an IntegrityError and nothing is stored; a match by hash needs no network', async () => {
    const m = host('model');
    const bad = await load(page, { url: m.url, integrity: sri(padModel(base, 10, 1)) });
    expect(bad.error).toMatchObject({ code: 'INTEGRITY', name: 'IntegrityError', isOwnClass: true, details: { actual: sri(base) } });
    expect(bad.phases).not.toContain('compile');
    expect(bad.list).toEqual([]);
    expect(await records(page, db)).toEqual({ entries: [], urls: [], partials: [], chunks: [] });

    const good = await get(page, { url: m.url, integrity: `sha384-${createHash('sha384').update(base).digest('base64')}` });
    expectBytes(good, base);
    expect(good.list.map((e) => e.sha256)).toEqual([sha256(base)]);

    // The same bytes named by their sha256 are found by content address, even under another URL.
    const mirror = host('mirror');
    const byHash = await get(page, { url: mirror.url, integrity: sri(base) });
    expectBytes(byHash, base);
    expect(server.gets(mirror.path)).toHaveLength(0);
    expect(byHash.list[0].urls.sort()).toEqual([m.url, mirror.url].sort());

    // A cached copy that does not match the integrity asked for is not used.
    const other = padModel(base, 100, 9);
    host('model', other);
    const refreshed = await get(page, { url: m.url, integrity: sri(other) });
    expectBytes(refreshed, other);
    expect(server.gets(m.path)).toHaveLength(3);

    const unparseable = await get(page, { url: m.url, integrity: 'md5-abc' });
    expect(unparseable.error).toMatchObject({ code: 'INTEGRITY', message: expect.stringMatching(/SRI form/) });
  });

  test('policies: revalidate, network-only, cache-only', async () => {
    const m = host('model');
    const miss = await get(page, { url: m.url, policy: 'cache-only' });
    expect(miss.error).toMatchObject({ code: 'CACHE_MISS', name: 'CacheMissError', details: { reason: 'missing' } });
    expect(server.gets(m.path)).toHaveLength(0);

    expectBytes(await get(page, { url: m.url }), base);
    expectBytes(await get(page, { url: m.url, policy: 'cache-only' }), base);
    expect(server.gets(m.path)).toHaveLength(1);

    const same = await get(page, { url: m.url, policy: 'revalidate' });
    expectBytes(same, base);
    expect(same.phases).toEqual(['cache-read', 'verify']);
    const conditional = server.gets(m.path).at(-1)!;
    expect(conditional).toMatchObject({ status: 304, sent: 0 });
    expect(conditional.ifNoneMatch).toMatch(/^"/);
    expect(conditional.ifModifiedSince).toBeTruthy();

    const v2 = padModel(base, 500, 2);
    server.serve(m.path, v2);
    const updated = await get(page, { url: m.url, policy: 'revalidate' });
    expectBytes(updated, v2);
    expect(server.gets(m.path).at(-1)).toMatchObject({ status: 200, sent: v2.byteLength });
    expect(updated.list.find((e) => e.urls.includes(m.url))).toMatchObject({ sha256: sha256(v2) });

    server.configure(m.path, { status: 503 });
    const stale = await get(page, { url: m.url, policy: 'revalidate' });
    expectBytes(stale, v2);
    expect(stale.warnings.map((w) => w.code)).toEqual(['CACHE_STALE']);
    server.configure(m.path, {});

    const before = server.gets(m.path).length;
    const net = await get(page, { url: m.url, policy: 'network-only' });
    expectBytes(net, v2);
    expect(net.phases).toEqual(['download', 'verify']);
    expect(server.gets(m.path)).toHaveLength(before + 1);
    const entryOf = (r: typeof net) => r.list.find((e) => e.urls.includes(m.url))!;
    expect(entryOf(net).lastUsedAt).toBe(entryOf(stale).lastUsedAt); // the cache was not touched
  });

  test('a byte budget evicts least recently used entries; a model over budget loads uncached with a warning', async () => {
    const [a, b, c] = [1, 2, 3].map((i) => host(`m${i}`, padModel(base, 1000, i)));
    const budget = { budgetBytes: Math.floor(a.bytes.byteLength * 2.5) };
    for (const m of [a, b]) expectBytes(await get(page, { url: m.url, cache: budget }), m.bytes);
    await page.waitForTimeout(5); // distinct lastUsedAt
    expectBytes(await get(page, { url: a.url, cache: budget }), a.bytes); // a is now more recent than b
    await page.waitForTimeout(5);
    const third = await get(page, { url: c.url, cache: budget });
    expectBytes(third, c.bytes);
    expect(third.list.map((e) => e.urls[0])).toEqual([c.url, a.url]);
    expect(third.usage.bytes).toBeLessThanOrEqual(budget.budgetBytes);
    expect(server.gets(a.path)).toHaveLength(1);

    const big = host('big', padModel(base, 40_000, 4));
    const tooBig = await get(page, { url: big.url, cache: budget });
    expectBytes(tooBig, big.bytes);
    expect(tooBig.warnings.map((w) => w.code)).toEqual(['CACHE_QUOTA']);
    expect(tooBig.warnings[0].message).toMatch(/larger than the cache budget/);
    expect(tooBig.list.map((e) => e.urls[0])).toEqual([c.url, a.url]);
    expect((await records(page, db)).partials).toEqual([]);
  });

  test('storage quota exhausted mid-write: older entries are evicted and the write retried, else the model loads uncached with a warning', async ({ browser, browserName, baseURL }) => {
    const origin = new URL(baseURL!).origin;
    const big = 120_000; // an empty in-memory database already counts ~72 KB
    const [a, b, c] = [1, 2, 3].map((i) => host(`q${i}`, padModel(base, big, i)));
    const opts = { cache: { chunkBytes: 16_384 } };

    // A page whose origin may store about `quotaSize` bytes. Chromium reads an origin's quota when its storage is
    // first opened, so the override comes before any IndexedDB use; Firefox takes a global limit (in KiB) at launch,
    // and a fresh profile holds nothing else.
    const fresh = async (quotaSize: number) => {
      if (browserName === 'firefox') {
        const own = await firefox.launch({
          channel: 'moz-firefox',
          executablePath: firefoxPath,
          firefoxUserPrefs: { 'dom.quotaManager.temporaryStorage.fixedLimit': Math.round(quotaSize / 1024) },
        });
        const p = await own.newPage({ baseURL });
        await open(p);
        return { ctx: { close: () => own.close() }, p };
      }
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      await (await ctx.newCDPSession(p)).send('Storage.overrideQuotaForOrigin', { origin, quotaSize });
      await open(p);
      return { ctx, p };
    };

    // Room for one model (141 KB in 9 chunks) and not two: Chromium counts ~210 KB for it, Firefox ~300 KB (SQLite
    // pages, a file per chunk) and ~560 KB for two.
    const roomForOne = browserName === 'firefox' ? 450_000 : 300_000;

    // Room for less than one model and nothing to evict: it loads from memory, uncached, with the event.
    const one = await fresh(150_000);
    try {
      const starved = await get(one.p, { url: c.url, ...opts });
      expectBytes(starved, c.bytes);
      expect(starved.warnings.map((w) => w.code)).toEqual(['CACHE_QUOTA']);
      expect(starved.warnings[0].message).toMatch(/QuotaExceededError/);
      expect(starved.list).toEqual([]);
      expect(await records(one.p, db)).toEqual({ entries: [], urls: [], partials: [], chunks: [] });
    } finally {
      await one.ctx.close();
    }

    // Room for one model, not two: b's writes hit the quota, a is evicted, the writes go on.
    const two = await fresh(roomForOne);
    try {
      expectBytes(await get(two.p, { url: a.url, ...opts }), a.bytes);
      const second = await get(two.p, { url: b.url, ...opts });
      expectBytes(second, b.bytes);
      expect(second.warnings).toEqual([]);
      expect(second.list.map((e) => e.urls[0])).toEqual([b.url]);
    } finally {
      await two.ctx.close();
    }
  });

  test('without IndexedDB, loads still work, uncached, with a warning; cache-only is a typed miss', async () => {
    const m = host('model');
    const r = await load(page, { url: m.url, breakIndexedDB: true });
    expectCorrect(r);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'CACHE_UNAVAILABLE', message: expect.stringMatching(/disabled by a test/) })]);
    expect(r.usage.available).toBe(false);
    expect(r.list).toEqual([]);
    const offline = await get(page, { url: m.url, breakIndexedDB: true, policy: 'cache-only' });
    expect(offline.error).toMatchObject({ code: 'CACHE_MISS', details: { reason: 'unavailable' } });
  });

  test('a browser that cannot store Blobs (WebKit private/automation sessions abort such transactions): chunks are stored as ArrayBuffers', async ({ browser }) => {
    const ctx = await browser.newContext();
    try {
      const own = await ctx.newPage();
      // What WebKit's ephemeral sessions do: a transaction that puts a Blob is aborted.
      await own.addInitScript(() => {
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
          const request = put.call(this, value, key);
          if (value instanceof Blob) this.transaction.abort();
          return request;
        };
      });
      await open(own);
      const m = host('model');
      const first = await load(own, { url: m.url });
      expectCorrect(first);
      expect(first.warnings).toEqual([]);
      const second = await load(own, { url: m.url });
      expectCorrect(second);
      expect(second.phases).toEqual(['cache-read', 'verify', 'compile']);
      expect(server.gets(m.path)).toHaveLength(1);
      expect((await records(own, db)).chunks).toHaveLength(Math.ceil(base.byteLength / CHUNK));
    } finally {
      await ctx.close();
    }
  });

  test('concurrent loads of one model in a page share one download, and one caller aborting does not stop the others', async () => {
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

  test('persist: true asks for persistent storage once a model is stored; usage() reports it', async ({ browserName }) => {
    if (browserName === 'chromium') {
      const cdp = await context.newCDPSession(page);
      const { targetInfo } = await cdp.send('Target.getTargetInfo');
      await cdp.send('Browser.grantPermissions', { permissions: ['durableStorage'], origin: new URL(page.url()).origin, browserContextId: targetInfo.browserContextId });
    } // Firefox: the project's testing prefs grant it (playwright.config.ts)
    const calls = () => page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls);
    await page.evaluate(() => {
      const w = window as unknown as { persistCalls: number; realPersist: () => Promise<boolean> };
      w.persistCalls = 0;
      w.realPersist = navigator.storage.persist.bind(navigator.storage);
      navigator.storage.persist = () => (w.persistCalls++, w.realPersist());
    });
    try {
      expectBytes(await get(page, { url: host('a').url }), base);
      expect(await calls()).toBe(0);
      expectBytes(await get(page, { url: host('b', padModel(base, 10, 1)).url, cache: { persist: true } }), padModel(base, 10, 1));
      expect(await calls()).toBe(1);
      const usage = await page.evaluate((db) => window.pageinfer.createEngine({ cache: { dbName: db } }).cache.usage(), db);
      expect(usage).toMatchObject({ available: true, entries: 2, persisted: true });
    } finally {
      await page.evaluate(() => {
        navigator.storage.persist = (window as unknown as { realPersist: () => Promise<boolean> }).realPersist;
      });
    }
  });

  test('a cache switched off downloads every time and stores nothing', async () => {
    const m = host('model');
    for (let i = 0; i < 2; i++) expectBytes(await get(page, { url: m.url, cache: false }), base);
    expect(server.gets(m.path)).toHaveLength(2);
    expect((await get(page, { url: m.url, cache: false })).usage).toMatchObject({ available: false, entries: 0 });
  });
});
