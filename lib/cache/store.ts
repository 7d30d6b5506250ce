/**
 * The cache's IndexedDB records, through idb-keyval's request helpers and a store like its `createStore`
 * that closes its connection when another tab upgrades the database (closingStore, below).
 *
 * Layout: ONE database with ONE object store, records told apart by key prefix:
 *   e:<sha256>  EntryRecord   a complete model: its size and chunk list (content address = SHA-256 of the bytes)
 *   u:<url>     UrlRecord     URL → sha256 index, with the server's validators (ETag, Last-Modified)
 *   p:<url>     PartialRecord an interrupted download: chunks so far, never served as a model
 *   c:<sha256>  Blob          one chunk, keyed by the SHA-256 of its own bytes (so every read can verify it);
 *                             an ArrayBuffer where the browser cannot store Blobs (see chunkValue)
 *
 * Why one store with prefixes rather than one database per kind of record:
 * idb-keyval's `createStore(db, store)` creates its object store only when the
 * database is new, so a database holds exactly one store; records spread over
 * several databases could not be changed in one transaction. Here a chunk and
 * the partial record that references it are written in the same transaction,
 * and a commit (entry + URL index − partial) or an eviction (records + the
 * chunks nothing references any more) is atomic: a crash or a closed tab
 * leaves either the old state or the new one, never an entry that points at
 * missing chunks. Key ranges over a prefix give the listings.
 */
import { promisifyRequest, type UseStore } from 'idb-keyval';
import { isSha256Hex, sha256Hex } from './hash.js';
import { chunkOffsets, type ChunkRef } from './plan.js';

export interface EntryRecord {
  v: 1;
  sha256: string;
  size: number;
  chunks: ChunkRef[];
  createdAt: number;
  lastUsedAt: number;
}

export interface UrlRecord {
  v: 1;
  url: string;
  sha256: string;
  etag?: string;
  lastModified?: string;
  storedAt: number;
}

export interface PartialRecord {
  v: 1;
  url: string;
  etag?: string;
  lastModified?: string;
  /** Full size, when the server said. */
  total?: number;
  /** Bytes held: the sum of the chunk sizes. */
  received: number;
  chunks: ChunkRef[];
  createdAt: number;
  updatedAt: number;
}

const ENTRY = 'e:';
const URL_ = 'u:';
const PARTIAL = 'p:';
const CHUNK = 'c:';

export const keys = {
  entry: (sha256: string) => ENTRY + sha256,
  url: (url: string) => URL_ + url,
  partial: (url: string) => PARTIAL + url,
  chunk: (hash: string) => CHUNK + hash,
};

const prefixRange = (prefix: string) => IDBKeyRange.bound(prefix, `${prefix}\uffff`);

const isChunkList = (c: unknown, size: unknown): c is ChunkRef[] =>
  Array.isArray(c) &&
  c.every((r) => r && typeof r.hash === 'string' && isSha256Hex(r.hash) && Number.isInteger(r.size) && r.size > 0) &&
  c.reduce((n, r: ChunkRef) => n + r.size, 0) === size;

/** Whether a stored value is a well-formed entry (a truncated or edited record is not). */
export function isEntryRecord(x: unknown, sha256?: string): x is EntryRecord {
  const e = x as EntryRecord;
  return (
    !!e &&
    e.v === 1 &&
    typeof e.sha256 === 'string' &&
    isSha256Hex(e.sha256) &&
    (sha256 === undefined || e.sha256 === sha256) &&
    Number.isInteger(e.size) &&
    e.size > 0 &&
    isChunkList(e.chunks, e.size) &&
    typeof e.lastUsedAt === 'number'
  );
}

export function isUrlRecord(x: unknown): x is UrlRecord {
  const u = x as UrlRecord;
  return !!u && u.v === 1 && typeof u.url === 'string' && typeof u.sha256 === 'string' && isSha256Hex(u.sha256);
}

export function isPartialRecord(x: unknown): x is PartialRecord {
  const p = x as PartialRecord;
  return !!p && p.v === 1 && typeof p.url === 'string' && Number.isInteger(p.received) && isChunkList(p.chunks, p.received);
}

/** A chunk that is missing, of the wrong size or unreadable; `hash` names the chunk when one is to blame. */
export class ChunkProblem extends Error {
  constructor(
    message: string,
    readonly hash?: string,
  ) {
    super(message);
  }
}

/** The cache cannot use IndexedDB here. */
export class StoreUnavailable extends Error {}

export const isQuotaError = (e: unknown): boolean =>
  (e as DOMException)?.name === 'QuotaExceededError' || (e as { inner?: DOMException })?.inner?.name === 'QuotaExceededError';

export class CacheStore {
  private readonly use: UseStore;
  /**
   * Chunks are stored as Blobs (Chromium reads them back ~3× faster than
   * ArrayBuffers). WebKit's ephemeral sessions (private browsing, automation)
   * abort every transaction that stores a Blob: after one such failure,
   * chunks are stored as ArrayBuffers instead.
   */
  private blobs = true;

  private constructor(readonly dbName: string) {
    this.use = closingStore(dbName, 'records');
  }

  /** Opens the database; rejects with StoreUnavailable when IndexedDB is missing, throws, or hangs past `timeoutMs`. */
  static async open(dbName: string, timeoutMs: number): Promise<CacheStore> {
    if (typeof indexedDB === 'undefined' || !indexedDB) throw new StoreUnavailable('IndexedDB is not available in this context');
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const store = new CacheStore(dbName);
      const probe = store.tx('readonly', (s) => promisifyRequest(s.count(prefixRange(ENTRY))));
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreUnavailable(`opening IndexedDB '${dbName}' took over ${timeoutMs} ms (blocked?)`)), timeoutMs);
      });
      await Promise.race([probe, late]);
      return store;
    } catch (e) {
      if (e instanceof StoreUnavailable) throw e;
      throw new StoreUnavailable(`IndexedDB '${dbName}' cannot be opened: ${(e as Error)?.name ?? ''} ${(e as Error)?.message ?? e}`.trim());
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs `body` in one transaction and resolves once the transaction has
   * committed (so a write is durable when this resolves). `body` may only
   * await IndexedDB requests of this transaction. A failing body aborts it.
   */
  async tx<T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => Promise<T> | T): Promise<T> {
    return this.use(mode, async (s) => {
      const done = promisifyRequest(s.transaction);
      done.catch(() => {}); // observed below; a body error wins
      let result: T;
      try {
        result = await body(s);
      } catch (e) {
        try {
          s.transaction.abort();
        } catch {
          // already finished
        }
        throw e;
      }
      try {
        await done;
      } catch (e) {
        // Quota errors surface here, as the transaction's error, when it commits.
        throw s.transaction.error ?? e ?? new DOMException('transaction aborted', 'AbortError');
      }
      return result;
    });
  }

  /** The URL's index record and its entry, when both exist and are well-formed; a malformed record reads as `bad`. */
  async lookupUrl(url: string): Promise<{ url?: UrlRecord; entry?: EntryRecord; bad?: string }> {
    return this.tx('readonly', async (s) => {
      const u: unknown = await promisifyRequest(s.get(keys.url(url)));
      if (u === undefined) return {};
      if (!isUrlRecord(u)) return { bad: `the URL index record of ${url} is malformed` };
      const e: unknown = await promisifyRequest(s.get(keys.entry(u.sha256)));
      if (e === undefined) return { url: u };
      if (!isEntryRecord(e, u.sha256)) return { url: u, bad: `the entry record of ${u.sha256} is malformed` };
      return { url: u, entry: e };
    });
  }

  async getEntry(sha256: string): Promise<{ entry?: EntryRecord; bad?: string }> {
    const e: unknown = await this.tx('readonly', (s) => promisifyRequest(s.get(keys.entry(sha256))));
    if (e === undefined) return {};
    return isEntryRecord(e, sha256) ? { entry: e } : { bad: `the entry record of ${sha256} is malformed` };
  }

  async getPartial(url: string): Promise<PartialRecord | undefined> {
    const p: unknown = await this.tx('readonly', (s) => promisifyRequest(s.get(keys.partial(url))));
    if (p === undefined) return undefined;
    if (isPartialRecord(p) && p.url === url) return p;
    await this.deletePartial(url); // unusable: start over
    return undefined;
  }

  /**
   * Reads chunks, in order, into one buffer (one read of their concatenation: reading them one by one
   * and hashing each as it came took 1.8-1.9× a raw idb-keyval read in Chromium against 1.4-1.5× for
   * this, see docs/load-path.md), then checks each against its SHA-256, all digests in flight at once.
   * `onAllRead` gets the buffer between the two: the one this call resolves to if every chunk matches.
   * `onRead` and `onVerified` get running byte totals. Throws ChunkProblem for a chunk that is missing,
   * of the wrong size, unreadable or not matching its hash.
   */
  async readVerified(
    refs: readonly ChunkRef[],
    signal?: AbortSignal,
    onRead?: (bytes: number) => void,
    onVerified?: (bytes: number) => void,
    onAllRead?: (bytes: Uint8Array) => void,
  ): Promise<Uint8Array> {
    const blobs = await this.chunkBlobs(refs);
    if (signal?.aborted) return new Uint8Array(0); // the caller checks its signal
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await new Blob(blobs).arrayBuffer());
    } catch (e) {
      throw new ChunkProblem(`its chunks could not be read back (${(e as Error)?.name}: ${(e as Error)?.message})`);
    }
    if (signal?.aborted) return new Uint8Array(0);
    onRead?.(bytes.byteLength);
    onAllRead?.(bytes);
    onVerified?.(0);
    const { offsets } = chunkOffsets(refs, bytes.byteLength);
    let verified = 0;
    // WebCrypto copies its input when called: the buffer may be copied or posted meanwhile, never changed.
    await Promise.all(
      refs.map(async (ref, i) => {
        if ((await sha256Hex(bytes.subarray(offsets[i], offsets[i] + ref.size))) !== ref.hash) {
          throw new ChunkProblem(`chunk ${i + 1} of ${refs.length} does not match its SHA-256`, ref.hash);
        }
        onVerified?.((verified += ref.size));
      }),
    );
    return bytes;
  }

  /** The chunks' records, checked for presence and size (Blob handles: cheap, no bytes read yet). */
  private async chunkBlobs(refs: readonly ChunkRef[]): Promise<Blob[]> {
    const values: unknown[] = await this.tx('readonly', (s) => Promise.all(refs.map((r) => promisifyRequest(s.get(keys.chunk(r.hash))))));
    return values.map((v, i) => {
      const ref = refs[i];
      if (v === undefined) throw new ChunkProblem(`chunk ${i + 1} of ${refs.length} is missing`);
      const blob = v instanceof Blob ? v : v instanceof ArrayBuffer ? new Blob([v]) : undefined;
      if (blob?.size !== ref.size) throw new ChunkProblem(`chunk ${i + 1} of ${refs.length} has the wrong size`, ref.hash);
      return blob;
    });
  }

  /** Stores one chunk and records it in the URL's partial download, atomically. */
  async appendChunk(partial: PartialRecord, ref: ChunkRef, data: Uint8Array): Promise<PartialRecord> {
    const next: PartialRecord = { ...partial, chunks: [...partial.chunks, ref], received: partial.received + ref.size, updatedAt: Date.now() };
    await this.writeChunks(() =>
      this.tx('readwrite', (s) => {
        s.put(this.chunkValue(data), keys.chunk(ref.hash));
        s.put(next, keys.partial(partial.url));
      }),
    );
    return next;
  }

  private chunkValue(bytes: Uint8Array): Blob | ArrayBuffer {
    return this.blobs ? new Blob([bytes as Uint8Array<ArrayBuffer>]) : (bytes.slice().buffer as ArrayBuffer);
  }

  /** Runs a write of chunks; if it fails for any reason but quota while chunks are Blobs, retries once with ArrayBuffers. */
  private async writeChunks<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!this.blobs || isQuotaError(e)) throw e;
      this.blobs = false;
      return write();
    }
  }

  /**
   * Turns the URL's partial download into a complete entry. Chunks that have
   * vanished meanwhile (cleared from another tab) are written again from
   * `bytes`, so an entry never points at missing chunks.
   */
  async commit(url: string, entry: EntryRecord, index: UrlRecord, bytes: Uint8Array): Promise<void> {
    await this.writeChunks(() => this.tx('readwrite', async (s) => {
      const present = await Promise.all(entry.chunks.map((c) => promisifyRequest(s.count(keys.chunk(c.hash)))));
      let offset = 0;
      entry.chunks.forEach((c, i) => {
        if (!present[i]) s.put(this.chunkValue(bytes.subarray(offset, offset + c.size)), keys.chunk(c.hash));
        offset += c.size;
      });
      const old: unknown = await promisifyRequest(s.get(keys.entry(entry.sha256)));
      s.put(isEntryRecord(old, entry.sha256) ? { ...entry, createdAt: old.createdAt } : entry, keys.entry(entry.sha256));
      s.put(index, keys.url(url));
      s.delete(keys.partial(url));
      await collectGarbage(s);
    }));
  }

  /** Marks an entry used now (LRU) and, when reached through a new URL, indexes that URL too. */
  async touch(sha256: string, index?: UrlRecord): Promise<void> {
    await this.tx('readwrite', async (s) => {
      const e: unknown = await promisifyRequest(s.get(keys.entry(sha256)));
      if (!isEntryRecord(e, sha256)) return;
      s.put({ ...e, lastUsedAt: Date.now() }, keys.entry(sha256));
      if (index) s.put(index, keys.url(index.url));
    });
  }

  async deletePartial(url: string): Promise<void> {
    await this.tx('readwrite', async (s) => {
      s.delete(keys.partial(url));
      await collectGarbage(s);
    });
  }

  /** Deletes entries (and every URL pointing at them), partials and URL index records; then unreferenced chunks. */
  async remove(what: { entries?: string[]; partials?: string[]; urls?: string[]; chunks?: string[] }): Promise<number> {
    return this.tx('readwrite', async (s) => {
      const doomed = new Set(what.entries ?? []);
      let removed = 0;
      const urls: unknown[] = doomed.size ? await promisifyRequest(s.getAll(prefixRange(URL_))) : [];
      for (const u of urls) if (isUrlRecord(u) && doomed.has(u.sha256)) s.delete(keys.url(u.url));
      for (const sha of doomed) removed += await deleteIfPresent(s, keys.entry(sha));
      for (const url of what.partials ?? []) removed += await deleteIfPresent(s, keys.partial(url));
      for (const url of what.urls ?? []) removed += await deleteIfPresent(s, keys.url(url));
      for (const hash of what.chunks ?? []) s.delete(keys.chunk(hash)); // a chunk that failed verification
      await collectGarbage(s);
      return removed;
    });
  }

  /** Every record but the chunks' bytes: well-formed ones, and the keys of malformed ones. */
  async snapshot(): Promise<{ entries: EntryRecord[]; urls: UrlRecord[]; partials: PartialRecord[] }> {
    return this.tx('readonly', async (s) => {
      const [entries, urls, partials] = await Promise.all([
        promisifyRequest(s.getAll(prefixRange(ENTRY))),
        promisifyRequest(s.getAll(prefixRange(URL_))),
        promisifyRequest(s.getAll(prefixRange(PARTIAL))),
      ]);
      return {
        entries: (entries as unknown[]).filter((e): e is EntryRecord => isEntryRecord(e)),
        urls: (urls as unknown[]).filter(isUrlRecord),
        partials: (partials as unknown[]).filter(isPartialRecord),
      };
    });
  }

  async clear(): Promise<void> {
    await this.tx('readwrite', (s) => promisifyRequest(s.clear()));
  }
}

async function deleteIfPresent(s: IDBObjectStore, key: string): Promise<number> {
  const n = await promisifyRequest(s.count(key));
  if (n) s.delete(key);
  return n ? 1 : 0;
}

/**
 * Deletes chunks that no well-formed entry or partial references, and
 * malformed entries and partials themselves. Runs inside the caller's
 * transaction, after its own deletions.
 */
async function collectGarbage(s: IDBObjectStore): Promise<void> {
  const [entryKeys, entries, partialKeys, partials, chunkKeys] = await Promise.all([
    promisifyRequest(s.getAllKeys(prefixRange(ENTRY))),
    promisifyRequest(s.getAll(prefixRange(ENTRY))),
    promisifyRequest(s.getAllKeys(prefixRange(PARTIAL))),
    promisifyRequest(s.getAll(prefixRange(PARTIAL))),
    promisifyRequest(s.getAllKeys(prefixRange(CHUNK))),
  ]);
  const live = new Set<string>();
  entries.forEach((e: unknown, i) => {
    if (isEntryRecord(e, String(entryKeys[i]).slice(ENTRY.length))) for (const c of e.chunks) live.add(keys.chunk(c.hash));
    else s.delete(entryKeys[i]);
  });
  partials.forEach((p: unknown, i) => {
    if (isPartialRecord(p)) for (const c of p.chunks) live.add(keys.chunk(c.hash));
    else s.delete(partialKeys[i]);
  });
  for (const k of chunkKeys) if (!live.has(String(k))) s.delete(k);
}

/**
 * idb-keyval's createStore, except that the connection gives way to another tab: a tab that opens the database
 * at a higher version (a newer pageinfer's schema) waits until every other connection closes, and idb-keyval's
 * never does. This one closes on `versionchange` and reopens on its next use; also after the browser closed it
 * (site data cleared).
 */
function closingStore(dbName: string, storeName: string): UseStore {
  let connection: Promise<IDBDatabase> | null = null;
  const open = (): Promise<IDBDatabase> => {
    const request = indexedDB.open(dbName);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    const opened = promisifyRequest(request).then((db) => {
      const drop = () => {
        if (connection === opened) connection = null;
      };
      db.onversionchange = () => {
        db.close();
        drop();
      };
      db.onclose = drop;
      return db;
    });
    opened.catch(() => {
      if (connection === opened) connection = null; // a failed open is tried again next time
    });
    connection = opened;
    return opened;
  };
  const transaction = async (mode: IDBTransactionMode): Promise<IDBTransaction> => {
    const db = await (connection ?? open());
    try {
      return db.transaction(storeName, mode);
    } catch (e) {
      if ((e as DOMException)?.name !== 'InvalidStateError') throw e;
      return (await open()).transaction(storeName, mode); // closed between the open and this transaction
    }
  };
  return async (mode, callback) => callback((await transaction(mode)).objectStore(storeName));
}
