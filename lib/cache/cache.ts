/**
 * The model cache: content-addressed (SHA-256), chunked, verified on every
 * read, LRU within a byte budget, shared by the tabs of an origin. It runs on
 * the thread that calls `engine.load` (the page); bytes then go to the model's
 * worker as they would after a plain download.
 */
import { CacheMissError, FetchError, IntegrityError, QuotaExceededError, toAbortError } from '../errors/index.js';
import type { LoadProgress, ProgressCallback, WarningDetail } from '../events/types.js';
import { download, type Downloaded } from './download.js';
import { canDigest, isSha256Hex } from './hash.js';
import { planEviction, type Evictable } from './plan.js';
import { databaseLock, urlLock, withLocks, type LockRequest } from './lock.js';
import { joinKey, TaskRegistry, type TaskContext } from './share.js';
import { matchesIntegrity, parseIntegrity, sha256Candidates, sriOf, type SriHash } from './sri.js';
import { CacheStore, ChunkProblem, isQuotaError, StoreUnavailable, type EntryRecord, type UrlRecord } from './store.js';
import type { CacheEntryInfo, CacheOptions, CachePolicy, CacheUsage } from './types.js';

export const defaultCacheOptions = {
  dbName: 'pageinfer-cache',
  budgetBytes: Infinity,
  chunkBytes: 16 * 1024 * 1024,
  persist: false,
  openTimeoutMs: 5000,
  lockTimeoutMs: 120_000,
} satisfies Required<CacheOptions>;

export interface CacheFetchOptions {
  cache?: CachePolicy;
  integrity?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  fetchInit?: RequestInit;
  /**
   * @internal Called when a cached copy is read and its chunks' digests are still being checked: the
   * same bytes this fetch resolves to if they all match. The caller may start work on them but must
   * not let anything come of it before the fetch resolves (to other bytes, after CACHE_CORRUPT).
   */
  onUnverified?: (bytes: Uint8Array, meta: { sha256: string; from: BytesFrom }) => void;
}

type UnverifiedHook = NonNullable<CacheFetchOptions['onUnverified']>;

/** How many of a model's bytes came from the network and how many from the cache. */
export interface BytesFrom {
  network: number;
  cache: number;
}

type NotStored = 'quota' | 'budget' | 'unavailable' | 'policy' | 'error';

interface Obtained {
  bytes: Uint8Array;
  sha256: string;
  /** Where the bytes came from: a resumed download has some of each. */
  from: BytesFrom;
  /** Why the bytes are not in the cache now, when they are not. */
  notStored?: NotStored;
}

/** A cached entry failed verification. */
class CorruptEntry extends Error {
  constructor(
    message: string,
    readonly chunk?: string,
  ) {
    super(message);
  }
}

/**
 * Loads of the same model in this page (any engine) share one download: the
 * registry is per JavaScript realm. Other tabs and workers are kept out by a
 * Web Lock per database and URL, and then find the model in the cache.
 */
const inflight = new TaskRegistry();
/** Callers of a shared task (by its key) who take its bytes before their verification ends (onUnverified). */
const unverifiedHooks = new Map<string, Set<UnverifiedHook>>();

const policies: readonly CachePolicy[] = ['cache-first', 'revalidate', 'network-only', 'cache-only'];

export class ModelCache {
  /** False when switched off (`cache: false`). */
  readonly enabled: boolean;
  readonly options: Required<CacheOptions>;
  private opened: Promise<CacheStore | { unavailable: string }> | null = null;
  private persistRequest: Promise<boolean> | null = null;

  constructor(
    options: CacheOptions | false | undefined,
    private readonly warn: (detail: WarningDetail) => void = () => {},
  ) {
    this.enabled = options !== false;
    this.options = { ...defaultCacheOptions, ...(options || {}) };
    if (!(this.options.chunkBytes >= 1)) throw new RangeError(`cache.chunkBytes must be at least 1, got ${this.options.chunkBytes}`);
  }

  /**
   * The bytes of the model at `url`, through the cache according to the
   * policy (default 'cache-first'). What `engine.load(url)` uses.
   */
  async fetch(url: string | URL, options: CacheFetchOptions = {}): Promise<Uint8Array> {
    return (await this.obtainShared(url, options)).bytes;
  }

  /** As fetch, with the bytes' SHA-256 (hex) and where they came from (what `engine.load` reports in `model.info`). @internal */
  async fetchWithOrigin(url: string | URL, options: CacheFetchOptions = {}): Promise<{ bytes: Uint8Array; sha256: string; from: BytesFrom }> {
    const { bytes, sha256, from } = await this.obtainShared(url, options);
    return { bytes, sha256, from };
  }

  /**
   * Downloads a model into the cache without compiling it (or confirms it is
   * there). Rejects with QuotaExceededError when it could not be stored
   * (`details.reason`: 'quota', 'budget', 'unavailable' or 'error').
   */
  async add(url: string | URL, options: Omit<CacheFetchOptions, 'cache'> = {}): Promise<CacheEntryInfo> {
    const got = await this.obtainShared(url, { ...options, cache: 'cache-first' });
    const entry = got.notStored ? undefined : (await this.list()).find((e) => e.sha256 === got.sha256);
    if (!entry) {
      throw new QuotaExceededError(`${resolveUrl(url)} could not be stored in the cache (${got.notStored ?? 'evicted'})`, {
        url: resolveUrl(url),
        reason: got.notStored ?? 'error',
      });
    }
    return entry;
  }

  /** Complete entries, most recently used first. */
  async list(): Promise<CacheEntryInfo[]> {
    const store = await this.storeOrNull();
    if (!store) return [];
    const { entries, urls } = await store.snapshot();
    const byHash = new Map<string, UrlRecord[]>();
    for (const u of urls.sort((a, b) => b.storedAt - a.storedAt)) byHash.set(u.sha256, [...(byHash.get(u.sha256) ?? []), u]);
    return entries
      .map((e) => {
        const idx = byHash.get(e.sha256) ?? [];
        return {
          sha256: e.sha256,
          integrity: sriOf(e.sha256),
          size: e.size,
          urls: idx.map((u) => u.url),
          etag: idx[0]?.etag,
          lastModified: idx[0]?.lastModified,
          chunks: e.chunks.length,
          createdAt: e.createdAt,
          lastUsedAt: e.lastUsedAt,
        };
      })
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  }

  /** Whether a complete entry exists for a URL, a SHA-256 (hex) or SRI metadata. Reads metadata only. */
  async has(urlOrHash: string | URL): Promise<boolean> {
    const store = await this.storeOrNull();
    if (!store) return false;
    const hashes = hashesOf(urlOrHash);
    if (hashes) return (await Promise.all(hashes.map((h) => store.getEntry(h)))).some((r) => r.entry);
    return !!(await store.lookupUrl(resolveUrl(urlOrHash))).entry;
  }

  /**
   * Deletes by SHA-256 / SRI (the entry and every URL pointing at it) or by
   * URL (its index record and partial download, and its entry when no other
   * URL points at it). Resolves to whether anything was deleted.
   */
  async delete(urlOrHash: string | URL): Promise<boolean> {
    const store = await this.storeOrNull();
    if (!store) return false;
    const hashes = hashesOf(urlOrHash);
    if (hashes) {
      // Every URL that serves these bytes is locked, so no load of them is reading while they go.
      const { urls } = await store.snapshot();
      const serving = urls.filter((u) => hashes.includes(u.sha256)).map((u) => u.url);
      return this.locked(serving, async () => (await store.remove({ entries: hashes })) > 0);
    }
    const url = resolveUrl(urlOrHash);
    return this.locked([url], async () => {
      const { urls } = await store.snapshot();
      const own = urls.find((u) => u.url === url);
      const shared = own && urls.some((u) => u.url !== url && u.sha256 === own.sha256);
      return (await store.remove({ urls: [url], partials: [url], entries: own && !shared ? [own.sha256] : [] })) > 0;
    });
  }

  /** Deletes every entry and partial download of this cache's database, once the loads reading or writing it are done. */
  async clear(): Promise<void> {
    const store = await this.storeOrNull();
    if (store) await withLocks([databaseLock(this.options.dbName, 'exclusive')], neverAborted, this.options.lockTimeoutMs, () => store.clear());
  }

  /** Runs `fn` holding the database lock (shared) and the lock of each URL, as loads do. */
  private locked<T>(urls: string[], fn: () => Promise<T>, signal: AbortSignal = neverAborted): Promise<T> {
    const requests: LockRequest[] = [databaseLock(this.options.dbName, 'shared'), ...[...new Set(urls)].sort().map((u) => urlLock(this.options.dbName, u))];
    return withLocks(requests, signal, this.options.lockTimeoutMs, fn);
  }

  async usage(): Promise<CacheUsage> {
    const store = await this.storeOrNull();
    const snap = store ? await store.snapshot() : { entries: [], partials: [] };
    const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
    const estimate = await storage?.estimate?.().catch(() => undefined);
    const persisted = await storage?.persisted?.().catch(() => undefined);
    return {
      available: !!store,
      entries: snap.entries.length,
      bytes: snap.entries.reduce((n, e) => n + e.size, 0),
      partials: snap.partials.length,
      partialBytes: snap.partials.reduce((n, p) => n + p.received, 0),
      budgetBytes: this.options.budgetBytes,
      estimate: estimate ? { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0 } : null,
      persisted: persisted ?? null,
    };
  }

  /** Asks the browser to keep this origin's storage under pressure (`navigator.storage.persist()`). */
  async persist(): Promise<boolean> {
    const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
    return (await storage?.persist?.().catch(() => false)) ?? false;
  }

  // ------------------------------------------------------------------ loading

  private obtainShared(src: string | URL, o: CacheFetchOptions): Promise<Obtained> {
    const url = resolveUrl(src);
    const policy = o.cache ?? 'cache-first';
    if (!policies.includes(policy)) return Promise.reject(new RangeError(`cache policy must be one of ${policies.join(', ')}; got '${policy}'`));
    // Loads join one download only when they would send the same request: each keeps its own headers and credentials.
    const key = [this.enabled ? this.options.dbName : '', policy, o.integrity ?? '', url, joinKey(o.fetchInit)].join('\n');
    const hook = o.onUnverified;
    if (hook) {
      if (!unverifiedHooks.has(key)) unverifiedHooks.set(key, new Set());
      unverifiedHooks.get(key)!.add(hook);
    }
    const announce: UnverifiedHook = (bytes, meta) => unverifiedHooks.get(key)?.forEach((h) => h(bytes, meta));
    const running = inflight.run(key, { signal: o.signal, onProgress: o.onProgress, warn: this.warn }, (ctx) =>
      this.obtain(url, policy, o.integrity, o.fetchInit, ctx, announce),
    );
    if (!hook) return running;
    const forget = () => {
      const hooks = unverifiedHooks.get(key);
      hooks?.delete(hook);
      if (hooks?.size === 0) unverifiedHooks.delete(key);
    };
    running.then(forget, forget);
    return running;
  }

  private async obtain(
    url: string,
    policy: CachePolicy,
    integrity: string | undefined,
    fetchInit: RequestInit | undefined,
    ctx: TaskContext,
    announce: UnverifiedHook,
  ): Promise<Obtained> {
    const sri = integrity !== undefined ? parseIntegrity(integrity) : null;
    if (sri && !canDigest()) {
      throw new IntegrityError(`integrity cannot be checked: crypto.subtle is unavailable (not a secure context)`, { url, integrity });
    }
    const store = policy === 'network-only' ? null : await this.open(ctx);
    if (!store) {
      if (policy === 'cache-only') {
        throw new CacheMissError(`${url} is not cached: ${this.enabled ? 'the cache is unavailable' : 'the cache is off'}`, { url, reason: 'unavailable' });
      }
      const networkOnly = policy === 'network-only';
      return { ...(await this.fromNetwork(null, url, sri, fetchInit, ctx, undefined, networkOnly)), notStored: networkOnly ? 'policy' : 'unavailable' };
    }
    return this.locked([url], () => this.obtainLocked(store, url, policy, sri, fetchInit, ctx, announce), ctx.signal);
  }

  private async obtainLocked(
    store: CacheStore,
    url: string,
    policy: CachePolicy,
    sri: SriHash[] | null,
    fetchInit: RequestInit | undefined,
    ctx: TaskContext,
    announce: UnverifiedHook,
  ): Promise<Obtained> {
    const found = await this.find(store, url, sri, ctx);
    let reason = 'it is not cached';
    let missing: 'missing' | 'corrupt' | 'integrity' = 'missing';
    if (found) {
      const { entry } = found;
      let index = found.via === 'hash' ? undefined : found.index;
      let touchIndex: UrlRecord | undefined = found.via === 'hash' ? this.indexRecord(url, entry.sha256) : undefined;
      // With sha256 integrity the bytes are pinned by content: nothing to revalidate.
      const pinned = !!sri && sha256Candidates(sri).includes(entry.sha256);
      if (policy === 'revalidate' && !pinned) {
        const check = await this.revalidate(url, index, fetchInit, ctx);
        if ('response' in check) return this.fromNetwork(store, url, sri, fetchInit, ctx, check.response);
        if (check.validators && index) touchIndex = index = { ...index, ...check.validators };
      }
      try {
        // With integrity metadata the bytes are checked once more after the read: nobody gets them before that.
        const early = sri ? undefined : (bytes: Uint8Array) => announce(bytes, { sha256: entry.sha256, from: { network: 0, cache: bytes.byteLength } });
        const bytes = await this.readEntry(store, entry, ctx, early);
        const fits = !sri || (await matchesIntegrity(bytes, sri, entry.sha256)).ok;
        if (fits) {
          void store.touch(entry.sha256, touchIndex).catch(() => {}); // LRU bookkeeping: the load need not wait for it
          return { bytes, sha256: entry.sha256, from: { network: 0, cache: bytes.byteLength } };
        }
        reason = 'the cached copy does not match the integrity metadata';
        missing = 'integrity';
      } catch (e) {
        if (!(e instanceof CorruptEntry)) throw e;
        ({ reason, missing } = await this.dropUnreadable(store, url, entry, e, policy, ctx));
      }
    }
    if (policy === 'cache-only') throw new CacheMissError(`${url} is not available offline: ${reason}`, { url, reason: missing });
    return this.fromNetwork(store, url, sri, fetchInit, ctx);
  }

  /**
   * An entry that could not be read back whole: evicted with a CACHE_CORRUPT warning, unless another tab's
   * download evicted it while we read it (evictions take no URL locks), which is a plain miss.
   */
  private async dropUnreadable(
    store: CacheStore,
    url: string,
    entry: EntryRecord,
    e: CorruptEntry,
    policy: CachePolicy,
    ctx: TaskContext,
  ): Promise<{ reason: string; missing: 'missing' | 'corrupt' }> {
    const stillThere = (await store.getEntry(entry.sha256).catch(() => ({ entry }))).entry;
    if (!stillThere) return { reason: 'it was evicted while being read', missing: 'missing' };
    await store.remove({ entries: [entry.sha256], chunks: e.chunk ? [e.chunk] : [] }).catch(() => {});
    ctx.warn({
      code: 'CACHE_CORRUPT',
      message: `The cached copy of ${url} failed verification (${e.message}) and was evicted${policy === 'cache-only' ? '' : '; downloading it again'}`,
    });
    return { reason: `its cached copy was corrupt (${e.message})`, missing: 'corrupt' };
  }

  /** The entry to serve for `url`: through the URL index, or (with sha256 integrity) by content address, from any URL. */
  private async find(
    store: CacheStore,
    url: string,
    sri: SriHash[] | null,
    ctx: TaskContext,
  ): Promise<{ entry: EntryRecord; index?: UrlRecord; via: 'url' | 'hash' } | undefined> {
    const byUrl = await store.lookupUrl(url);
    if (byUrl.bad) {
      await store.remove({ urls: [url] }).catch(() => {}); // garbage collection also drops a malformed entry
      ctx.warn({ code: 'CACHE_CORRUPT', message: `The cache metadata of ${url} was damaged (${byUrl.bad}) and was evicted` });
    }
    const wanted = sri ? sha256Candidates(sri) : [];
    if (byUrl.entry && (!wanted.length || wanted.includes(byUrl.entry.sha256))) return { entry: byUrl.entry, index: byUrl.url, via: 'url' };
    for (const hash of wanted) {
      const { entry } = await store.getEntry(hash);
      if (entry) return { entry, via: 'hash' };
    }
    return undefined;
  }

  /** A conditional request: the cached copy is current, or here is the new one, or the server cannot say. */
  private async revalidate(
    url: string,
    index: UrlRecord | undefined,
    fetchInit: RequestInit | undefined,
    ctx: TaskContext,
  ): Promise<{ response: Response } | { validators?: Pick<UrlRecord, 'etag' | 'lastModified'> }> {
    const headers = new Headers(fetchInit?.headers);
    if (index?.etag) headers.set('If-None-Match', index.etag);
    if (index?.lastModified) headers.set('If-Modified-Since', index.lastModified);
    let response: Response;
    try {
      response = await fetch(url, { cache: 'no-store', ...fetchInit, headers, signal: ctx.signal });
    } catch (e) {
      if (ctx.signal.aborted) throw toAbortError(ctx.signal.reason);
      ctx.warn({ code: 'CACHE_STALE', message: `Could not revalidate ${url} (${(e as Error).message}); using the cached copy` });
      return {};
    }
    if (response.status === 304) {
      return { validators: { etag: response.headers.get('etag') ?? index?.etag, lastModified: response.headers.get('last-modified') ?? index?.lastModified } };
    }
    if (response.ok) return { response };
    await response.body?.cancel().catch(() => {});
    if (response.status >= 500) {
      ctx.warn({ code: 'CACHE_STALE', message: `Could not revalidate ${url} (HTTP ${response.status}); using the cached copy` });
      return {};
    }
    throw new FetchError(`Could not revalidate ${url}: HTTP ${response.status} ${response.statusText}`, { url, status: response.status });
  }

  /** Reads an entry's chunks into one buffer, each checked against its SHA-256 as it arrives (see CacheStore.readVerified). */
  private async readEntry(store: CacheStore, entry: EntryRecord, ctx: TaskContext, onAllRead?: (bytes: Uint8Array) => void): Promise<Uint8Array> {
    const total = entry.size;
    ctx.progress({ phase: 'cache-read', loaded: 0, total });
    let bytes: Uint8Array;
    try {
      bytes = await store.readVerified(
        entry.chunks,
        ctx.signal,
        (read) => ctx.progress({ phase: 'cache-read', loaded: read, total }),
        (verified) => ctx.progress({ phase: 'verify', loaded: verified, total }),
        onAllRead,
      );
    } catch (e) {
      if (ctx.signal.aborted) throw toAbortError(ctx.signal.reason);
      if (e instanceof ChunkProblem) throw new CorruptEntry(e.message, e.hash);
      throw new CorruptEntry(`it could not be read: ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
    if (ctx.signal.aborted) throw toAbortError(ctx.signal.reason);
    return bytes;
  }

  private async fromNetwork(
    store: CacheStore | null,
    url: string,
    sri: SriHash[] | null,
    fetchInit: RequestInit | undefined,
    ctx: TaskContext,
    response?: Response,
    networkOnly = false,
  ): Promise<Obtained> {
    let notStored: NotStored | undefined = store ? undefined : 'unavailable';
    const d: Downloaded = await download({
      url,
      fetchInit,
      // Stored here, or 'network-only': keep it out of the HTTP cache too. Without IndexedDB, the HTTP cache is all there is.
      bypassHttpCache: !!store || networkOnly,
      signal: ctx.signal,
      progress: (e: LoadProgress) => ctx.progress(e),
      store,
      chunkBytes: this.options.chunkBytes,
      response,
      reserve: async (total, stored) => {
        let ok: boolean;
        try {
          ok = await this.reserve(store!, url, total, stored);
        } catch (e) {
          notStored = 'error';
          ctx.warn(storeWarning(url, isQuotaError(e) ? 'quota' : 'error', e));
          return false;
        }
        if (!ok) {
          notStored = 'budget';
          ctx.warn({
            code: 'CACHE_QUOTA',
            message: `${url} (${total} bytes) is larger than the cache budget (${this.options.budgetBytes} bytes); it is loaded without being cached`,
          });
        }
        return ok;
      },
      freeSpace: () => this.evictOne(store!, url),
      onStoreFailure: (why, error) => {
        notStored = why === 'quota' ? 'quota' : 'error';
        ctx.warn(storeWarning(url, why, error));
      },
    });
    if (sri) {
      const m = await matchesIntegrity(d.bytes, sri, d.sha256);
      if (!m.ok) {
        if (store) await store.deletePartial(url).catch(() => {});
        throw new IntegrityError(`${url} does not match its integrity metadata: got ${m.actual}`, {
          url,
          expected: sri.map((h) => `${h.algorithm}:${h.hex}`),
          actual: m.actual,
        });
      }
    }
    if (store && d.partial) notStored = await this.commit(store, url, d, ctx);
    return { bytes: d.bytes, sha256: d.sha256, notStored, from: { network: d.bytes.byteLength - d.resumedFrom, cache: d.resumedFrom } };
  }

  /** Makes a downloaded model a complete entry, within the budget; says why not when it cannot. */
  private async commit(store: CacheStore, url: string, d: Downloaded, ctx: TaskContext): Promise<NotStored | undefined> {
    const now = Date.now();
    const entry: EntryRecord = { v: 1, sha256: d.sha256, size: d.bytes.byteLength, chunks: d.partial!.chunks, createdAt: now, lastUsedAt: now };
    const index: UrlRecord = { v: 1, url, sha256: d.sha256, etag: d.etag, lastModified: d.lastModified, storedAt: now };
    try {
      if (Number.isFinite(this.options.budgetBytes)) {
        const { items } = await this.items(store);
        const plan = planEviction(items, this.options.budgetBytes, 0, new Set([url, d.sha256]));
        if (!plan.fits) {
          await store.deletePartial(url);
          ctx.warn({
            code: 'CACHE_QUOTA',
            message: `${url} (${entry.size} bytes) does not fit the cache budget (${this.options.budgetBytes} bytes); it is loaded without being cached`,
          });
          return 'budget';
        }
        if (plan.evict.length) await store.remove(toRemoval(plan.evict));
      }
      for (;;) {
        try {
          await store.commit(url, entry, index, d.bytes);
          break;
        } catch (e) {
          if (!(isQuotaError(e) && (await this.evictOne(store, url)))) throw e;
        }
      }
    } catch (e) {
      await store.deletePartial(url).catch(() => {});
      ctx.warn(storeWarning(url, isQuotaError(e) ? 'quota' : 'error', e));
      return isQuotaError(e) ? 'quota' : 'error';
    }
    if (this.options.persist && !this.persistRequest) this.persistRequest = this.persist(); // not awaited: a browser may ask the user
    return undefined;
  }

  /** Before a download is stored: evicts LRU entries so `total` fits the budget; false when it never can. */
  private async reserve(store: CacheStore, url: string, total: number | undefined, stored: number): Promise<boolean> {
    const budget = this.options.budgetBytes;
    if (!Number.isFinite(budget) || total === undefined) return true; // unknown size: settled at commit
    if (total > budget) return false;
    const { items } = await this.items(store);
    const plan = planEviction(items, budget, total - stored, new Set([url]));
    if (plan.evict.length) await store.remove(toRemoval(plan.evict));
    return true;
  }

  /** Quota hit while writing: evicts the least recently used entry or partial (not this URL's download). */
  private async evictOne(store: CacheStore, url: string): Promise<boolean> {
    const { items } = await this.items(store);
    const victim = items.filter((i) => i.key !== url).sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0];
    if (!victim) return false;
    await store.remove(toRemoval([victim]));
    return true;
  }

  private async items(store: CacheStore): Promise<{ items: Evictable[] }> {
    const { entries, partials } = await store.snapshot();
    return {
      items: [
        ...entries.map((e): Evictable => ({ key: e.sha256, kind: 'entry', size: e.size, lastUsedAt: e.lastUsedAt })),
        ...partials.map((p): Evictable => ({ key: p.url, kind: 'partial', size: p.received, lastUsedAt: p.updatedAt })),
      ],
    };
  }

  private indexRecord(url: string, sha256: string): UrlRecord {
    return { v: 1, url, sha256, storedAt: Date.now() };
  }

  /** The store, opened once; null (with a warning on each load that goes uncached) when IndexedDB is unusable. */
  private async open(ctx: TaskContext): Promise<CacheStore | null> {
    const store = await this.storeOrNull();
    if (!store && this.enabled) {
      const why = ((await this.opened) as { unavailable: string }).unavailable;
      ctx.warn({ code: 'CACHE_UNAVAILABLE', message: `The model cache is unavailable (${why}); models load without being cached` });
    }
    return store;
  }

  private async storeOrNull(): Promise<CacheStore | null> {
    if (!this.enabled) return null;
    this.opened ??= (async () => {
      if (!canDigest()) return { unavailable: 'crypto.subtle is unavailable: not a secure context' };
      try {
        return await CacheStore.open(this.options.dbName, this.options.openTimeoutMs);
      } catch (e) {
        return { unavailable: e instanceof StoreUnavailable ? e.message : String(e) };
      }
    })();
    const got = await this.opened;
    return got instanceof CacheStore ? got : null;
  }
}

function storeWarning(url: string, why: 'quota' | 'error', error: unknown): WarningDetail {
  const detail = `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
  return why === 'quota'
    ? { code: 'CACHE_QUOTA', message: `Storage quota exceeded, even after evicting older models (${detail}): ${url} is loaded without being cached` }
    : { code: 'CACHE_UNAVAILABLE', message: `Could not write to the model cache (${detail}): ${url} is loaded without being cached` };
}

function toRemoval(items: Evictable[]): { entries: string[]; partials: string[] } {
  return { entries: items.filter((i) => i.kind === 'entry').map((i) => i.key), partials: items.filter((i) => i.kind === 'partial').map((i) => i.key) };
}

/** SHA-256 hex digests named by a hex string or SRI metadata; undefined for anything else (a URL). */
function hashesOf(value: string | URL): string[] | undefined {
  const s = String(value).trim();
  if (isSha256Hex(s.toLowerCase())) return [s.toLowerCase()];
  if (/^sha(256|384|512)-/i.test(s)) {
    try {
      return sha256Candidates(parseIntegrity(s));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Absolute URL: cache keys must not depend on the page a relative URL was written on. */
export function resolveUrl(src: string | URL): string {
  try {
    return new URL(String(src), globalThis.location?.href).href;
  } catch {
    return String(src);
  }
}

const neverAborted = new AbortController().signal;
