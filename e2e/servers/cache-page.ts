/**
 * Helpers for the cache specs: loading a model in the harness page with a
 * cache configuration and collecting everything observable (outputs, error,
 * warning events, progress phases, the cache's listing), and raw IndexedDB
 * access to the cache's records (to corrupt them, or to check what is there).
 */
import type { Page } from '@playwright/test';
import type { CacheEntryInfo, CacheOptions, CachePolicy, CacheUsage, LoadProgress, ModelInfo } from '../../lib/index.js';
import type { CaughtError, JsonTensor } from '../pages/harness.js';

export interface PageLoad {
  url: string;
  /** Load (compile) the model and run it on these feeds; without feeds, only fetch the bytes through `engine.cache`. */
  feeds?: Record<string, JsonTensor>;
  cache?: CacheOptions | false;
  policy?: CachePolicy;
  integrity?: string;
  /** Abort through the load's signal once progress of this phase reaches this many bytes. */
  abortAt?: { phase: LoadProgress['phase']; loaded: number };
  /** Make IndexedDB throw on open before the engine is created. */
  breakIndexedDB?: boolean;
}

export interface PageLoadResult {
  outputs?: Record<string, JsonTensor>;
  /** SHA-256 (hex) of the bytes, when only fetched. */
  sha256?: string;
  error?: CaughtError;
  warnings: Array<{ code: string; message: string }>;
  /** Phases in the order first seen. */
  phases: string[];
  progress: LoadProgress[];
  list: CacheEntryInfo[];
  usage: CacheUsage;
  /** The loaded model's origin and load timings (timeline included, after the first run). */
  info?: Pick<ModelInfo, 'origin' | 'timings'>;
  /** Date.now() when the load started and when it settled: comparable across pages. */
  startedAt: number;
  settledAt: number;
}

/** Runs in the page: one engine, one load (and run), then dispose. */
async function pageLoad(args: PageLoad): Promise<PageLoadResult> {
  const { pageinfer, harness } = window;
  const realOpen = IDBFactory.prototype.open;
  if (args.breakIndexedDB) {
    IDBFactory.prototype.open = () => {
      throw new DOMException('IndexedDB is disabled by a test', 'SecurityError');
    };
  }
  const engine = pageinfer.createEngine({ cache: args.cache });
  const warnings: Array<{ code: string; message: string }> = [];
  engine.addEventListener('warning', (e) => warnings.push({ ...(e as CustomEvent).detail }));
  const progress: LoadProgress[] = [];
  const controller = new AbortController();
  const out: Partial<PageLoadResult> = { startedAt: Date.now() };
  const options = {
    cache: args.policy,
    integrity: args.integrity,
    signal: controller.signal,
    onProgress: (p: LoadProgress) => {
      progress.push({ ...p });
      if (args.abortAt && p.phase === args.abortAt.phase && p.loaded >= args.abortAt.loaded) controller.abort(new Error('test abort'));
    },
  };
  try {
    if (args.feeds) {
      const model = await engine.load(args.url, options);
      const result = await model.run(harness.feedsOf(args.feeds));
      out.outputs = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, harness.toJson(v)]));
      await new Promise((r) => setTimeout(r, 0)); // the first run's span is added just after its result
      out.info = { origin: model.info.origin, timings: model.info.timings };
    } else {
      const bytes = await engine.cache.fetch(args.url, options);
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
      out.sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    }
  } catch (e) {
    out.error = harness.caught(e);
  }
  out.settledAt = Date.now();
  const list = await engine.cache.list();
  const usage = await engine.cache.usage();
  await engine.dispose();
  IDBFactory.prototype.open = realOpen;
  return { ...(out as PageLoadResult), warnings, phases: [...new Set(progress.map((p) => p.phase))], progress, list, usage };
}

export function loadInPage(page: Page, args: PageLoad): Promise<PageLoadResult> {
  return page.evaluate(pageLoad, args);
}

export type IdbOp =
  | { op: 'keys' }
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: unknown }
  | { op: 'delete'; key: string }
  | { op: 'flip'; key: string; at: number }
  | { op: 'truncate'; key: string; length: number };

/** Runs in the page: one operation on the cache's records ('records' store of `db`), with raw IndexedDB. */
async function pageIdb({ db: name, action }: { db: string; action: IdbOp }): Promise<unknown> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(name);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const request = <T>(r: IDBRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  try {
    const store = () => db.transaction('records', action.op === 'keys' || action.op === 'get' ? 'readonly' : 'readwrite').objectStore('records');
    switch (action.op) {
      case 'keys':
        return (await request(store().getAllKeys())).map(String).sort();
      case 'get':
        return request(store().get(action.key));
      case 'put':
        return request(store().put(action.value, action.key));
      case 'delete':
        return request(store().delete(action.key));
      case 'flip':
      case 'truncate': {
        // Chunks are Blobs; write back the same kind of value, changed.
        const value = (await request(store().get(action.key))) as Blob;
        const bytes = new Uint8Array(await value.arrayBuffer());
        if (action.op === 'flip') bytes[action.at] ^= 0x01;
        return request(store().put(new Blob([action.op === 'flip' ? bytes : bytes.slice(0, action.length)]), action.key));
      }
    }
  } finally {
    db.close();
  }
}

export function idb<T = unknown>(page: Page, db: string, action: IdbOp): Promise<T> {
  return page.evaluate(pageIdb, { db, action }) as Promise<T>;
}

/** Record keys of the cache database, grouped by kind. */
export async function records(page: Page, db: string): Promise<{ entries: string[]; urls: string[]; partials: string[]; chunks: string[] }> {
  const keys = await idb<string[]>(page, db, { op: 'keys' });
  const of = (p: string) => keys.filter((k) => k.startsWith(p)).map((k) => k.slice(p.length));
  return { entries: of('e:'), urls: of('u:'), partials: of('p:'), chunks: of('c:') };
}
