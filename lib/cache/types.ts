/**
 * How `engine.load(url)` uses the cache:
 * - `cache-first` (default): a verified cached copy if there is one, else the network (and store it).
 * - `revalidate`: ask the server first (If-None-Match / If-Modified-Since); 304 → the cached copy,
 *   200 → the new bytes (stored); when the server cannot be reached, the cached copy with a `CACHE_STALE` warning.
 * - `network-only`: the network, and the cache is neither read nor written.
 * - `cache-only`: the cached copy or a `CacheMissError`; never the network (offline use).
 */
export type CachePolicy = 'cache-first' | 'revalidate' | 'network-only' | 'cache-only';

export interface CacheOptions {
  /** IndexedDB database name (default 'pageinfer-cache'). Engines with the same name share entries. */
  dbName?: string;
  /** Most bytes of model data kept; least recently used entries are evicted past it. Default: no budget (the browser's quota only). */
  budgetBytes?: number;
  /** Size of one stored record (default 16 MiB); no model is ever stored as one giant value. */
  chunkBytes?: number;
  /** Ask for persistent storage (`navigator.storage.persist()`) the first time a model is stored. */
  persist?: boolean;
  /** How long opening the database may take before the cache counts as unavailable (default 5000 ms). */
  openTimeoutMs?: number;
  /**
   * How long a load, `delete` or `clear` waits for another tab's (or engine's) load of the same model
   * before it fails with a TimeoutError (default 120000 ms). That load holds the model's lock while it
   * downloads, so raise this for very large models on slow links.
   */
  lockTimeoutMs?: number;
}

/** One complete, verified-on-write model in the cache. */
export interface CacheEntryInfo {
  /** SHA-256 of the model bytes, lower-case hex: the entry's key. */
  sha256: string;
  /** The same digest as SRI metadata (`sha256-<base64>`), ready for `integrity`. */
  integrity: string;
  size: number;
  /** URLs known to serve these bytes, most recently stored first. */
  urls: string[];
  /** Validators the server sent with the most recent URL, used by `cache: 'revalidate'`. */
  etag?: string;
  lastModified?: string;
  chunks: number;
  createdAt: number;
  lastUsedAt: number;
}

export interface CacheUsage {
  /** False when IndexedDB cannot be used here (blocked, disabled, throwing) or the cache is switched off. */
  available: boolean;
  /** Complete entries and their bytes. */
  entries: number;
  bytes: number;
  /** Interrupted downloads kept for an HTTP Range resume: never served until complete. */
  partials: number;
  partialBytes: number;
  /** The configured budget (Infinity when none). */
  budgetBytes: number;
  /** `navigator.storage.estimate()` for the whole origin, when the browser has it. */
  estimate: { usage: number; quota: number } | null;
  /** `navigator.storage.persisted()`, when the browser has it. */
  persisted: boolean | null;
}
