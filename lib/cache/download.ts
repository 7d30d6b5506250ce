/**
 * Streams a model from the network, cutting it into chunks that are written
 * to IndexedDB as they arrive (as an incomplete "partial" record), so that an
 * interrupted download can continue with an HTTP Range request later.
 */
import { FetchError, toAbortError } from '../errors/index.js';
import type { LoadProgress } from '../events/types.js';
import { sha256Hex } from './hash.js';
import { chunkRanges, parseContentRange, strongEtag, type ChunkRef } from './plan.js';
import { isQuotaError, type CacheStore, type PartialRecord } from './store.js';

export interface DownloadOptions {
  url: string;
  fetchInit?: RequestInit;
  signal: AbortSignal;
  progress: (event: LoadProgress) => void;
  /** Where chunks go; null: memory only. */
  store: CacheStore | null;
  chunkBytes: number;
  /** Keep the download out of the browser's HTTP cache (default true): the model cache holds it, once is enough. */
  bypassHttpCache?: boolean;
  /** A response already in hand (a 200 to a revalidation request). */
  response?: Response;
  /** Called once the size is known (or not): may evict to make room; false means "do not store this one". */
  reserve?: (total: number | undefined, alreadyStored: number) => Promise<boolean>;
  /** A chunk write hit the quota: evict something (true) or give up (false). */
  freeSpace?: () => Promise<boolean>;
  /** Storing stopped (quota, IndexedDB error): the download goes on in memory. */
  onStoreFailure?: (reason: 'quota' | 'error', error: unknown) => void;
}

export interface Downloaded {
  bytes: Uint8Array;
  sha256: string;
  etag?: string;
  lastModified?: string;
  /** The partial record now holding every chunk, ready to commit; null when storing was off or failed. */
  partial: PartialRecord | null;
  /** Bytes that came from a stored partial download rather than the network. */
  resumedFrom: number;
}

/** Copies `piece` into a buffer that grows by doubling (size unknown in advance). */
class Bytes {
  buf: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(capacity, 1 << 16));
  }
  append(piece: Uint8Array): void {
    if (this.length + piece.byteLength > this.buf.byteLength) {
      const grown = new Uint8Array(Math.max(this.buf.byteLength * 2, this.length + piece.byteLength));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(piece, this.length);
    this.length += piece.byteLength;
  }
  /** The bytes, without a copy when the capacity was exact. */
  result(): Uint8Array {
    return this.length === this.buf.byteLength ? this.buf : this.buf.slice(0, this.length);
  }
}

export async function download(o: DownloadOptions): Promise<Downloaded> {
  const { url, signal } = o;
  const init: RequestInit = { ...(o.bypassHttpCache !== false ? { cache: 'no-store' as const } : {}), ...o.fetchInit };
  let store = o.store;
  let partial = store ? await store.getPartial(url) : undefined;
  let prefix: Uint8Array | null = null;

  // 1. What a previous, interrupted download left: verified before it is trusted.
  if (partial && !o.response) {
    if (!(strongEtag(partial.etag) || partial.lastModified) || partial.received === 0) partial = await discard(store!, url);
    else {
      try {
        prefix = await readPartialChunks(store!, partial, signal);
      } catch (e) {
        if (signal.aborted) throw toAbortError(signal.reason);
        partial = await discard(store!, url);
        prefix = null;
      }
    }
  } else if (partial) partial = await discard(store!, url); // a revalidation brought new bytes

  // 2. The request: a Range request continuing the partial, else the whole file.
  let response = o.response;
  let resumedFrom = 0;
  if (!response && partial) {
    const r = await tryResume(url, init, signal, partial);
    if (r.resume) {
      response = r.resume;
      resumedFrom = partial.received;
    } else {
      response = r.restart; // the whole file after all (or nothing: ask again below)
      partial = await discard(store!, url);
      prefix = null;
    }
  }
  response ??= await request(url, init, signal);
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new FetchError(`Could not fetch ${url}: HTTP ${response.status} ${response.statusText}`, { url, status: response.status });
  }

  const etag = strongEtag(response.headers.get('etag')) ?? partial?.etag;
  const lastModified = response.headers.get('last-modified') ?? partial?.lastModified ?? undefined;
  const encoded = !!response.headers.get('content-encoding');
  const length = Number(response.headers.get('content-length')) || undefined;
  const range = resumedFrom ? parseContentRange(response.headers.get('content-range')) : undefined;
  const total = range?.total ?? (encoded ? undefined : length);

  // 3. Room for it, or no storing.
  if (store && o.reserve && !(await o.reserve(total, resumedFrom).catch(() => false))) {
    if (partial) await discard(store, url).catch(() => {});
    store = null;
    partial = undefined;
  }
  let current: PartialRecord | null = store
    ? (partial ?? { v: 1, url, etag, lastModified, total, received: 0, chunks: [], createdAt: Date.now(), updatedAt: Date.now() })
    : null;

  const bytes = new Bytes(total ?? resumedFrom + (length ?? 0));
  if (prefix) bytes.append(prefix);
  prefix = null;
  let chunkStart = resumedFrom;
  let writing: Promise<void> = Promise.resolve();

  const stopStoring = (reason: 'quota' | 'error', error: unknown) => {
    if (!store) return;
    const s = store;
    store = null;
    current = null;
    o.onStoreFailure?.(reason, error);
    void s.deletePartial(url).catch(() => {});
  };

  const writeChunk = async (data: Uint8Array) => {
    if (!store || !current) return;
    const ref: ChunkRef = { hash: await sha256Hex(data), size: data.byteLength };
    for (;;) {
      if (!store || !current) return;
      try {
        current = await store.appendChunk(current, ref, data);
        return;
      } catch (e) {
        if (isQuotaError(e) && o.freeSpace && (await o.freeSpace().catch(() => false))) continue; // evicted something: retry
        stopStoring(isQuotaError(e) ? 'quota' : 'error', e);
        return;
      }
    }
  };

  /** Queues the chunks complete so far (all of the rest when `final`). */
  const cut = async (final: boolean) => {
    for (const [a, b] of chunkRanges(chunkStart, bytes.length, o.chunkBytes, final)) {
      const data = bytes.buf.subarray(a, b); // a view: filled bytes never change, and the Blob written copies them
      chunkStart = b;
      await writing; // at most one write in flight: memory stays about one model
      writing = writeChunk(data);
    }
  };

  const report = () => o.progress({ phase: 'download', loaded: bytes.length, total: Math.max(total ?? 0, bytes.length) });
  report();

  // 4. The body, streamed.
  try {
    if (!response.body) bytes.append(new Uint8Array(await response.arrayBuffer()));
    else {
      const reader = response.body.getReader();
      const onAbort = () => void reader.cancel(signal.reason).catch(() => {});
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (signal.aborted) throw toAbortError(signal.reason);
          if (done) break;
          bytes.append(value);
          report();
          await cut(false);
        }
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
    if (total !== undefined && bytes.length !== total) {
      throw new FetchError(`Download of ${url} is truncated: ${bytes.length} of ${total} bytes`, { url, loaded: bytes.length, total });
    }
  } catch (cause) {
    // Keep what did arrive, as an incomplete record, so that the next load can resume.
    await cut(true).catch(() => {});
    await writing.catch(() => {});
    if (signal.aborted) throw toAbortError(signal.reason);
    if (cause instanceof FetchError) throw cause;
    throw new FetchError(`Download of ${url} broke after ${bytes.length} bytes: ${(cause as Error)?.message}`, { url, loaded: bytes.length }, { cause });
  }
  await cut(true);
  await writing;
  if (signal.aborted) throw toAbortError(signal.reason);

  const result = bytes.result();
  o.progress({ phase: 'verify', loaded: 0, total: result.byteLength });
  const sha256 = await sha256Hex(result);
  if (signal.aborted) throw toAbortError(signal.reason);
  o.progress({ phase: 'verify', loaded: result.byteLength, total: result.byteLength });
  return { bytes: result, sha256, etag, lastModified, partial: store ? current : null, resumedFrom };
}

async function request(url: string, init: RequestInit | undefined, signal: AbortSignal, headers?: Record<string, string>): Promise<Response> {
  const h = new Headers(init?.headers);
  for (const [k, v] of Object.entries(headers ?? {})) h.set(k, v);
  try {
    return await fetch(url, { ...init, headers: h, signal });
  } catch (cause) {
    if (signal.aborted) throw toAbortError(signal.reason);
    throw new FetchError(`Could not fetch ${url}: ${(cause as Error).message}`, { url }, { cause });
  }
}

/**
 * Asks for the rest of a partial download. `resume`: a 206 that continues
 * exactly where the partial stopped, from the same version of the file (same
 * strong ETag or Last-Modified). `restart`: a 200, the whole file (the server
 * ignored Range), to use from the start. Neither: the caller discards the
 * partial and asks again without Range.
 */
async function tryResume(
  url: string,
  init: RequestInit,
  signal: AbortSignal,
  partial: PartialRecord,
): Promise<{ resume?: Response; restart?: Response }> {
  let response: Response;
  try {
    response = await request(url, init, signal, { Range: `bytes=${partial.received}-` });
  } catch (e) {
    if (signal.aborted) throw e;
    return {}; // e.g. a CORS preflight that refuses Range: a plain request may still work
  }
  if (response.status === 200) return { restart: response };
  const range = parseContentRange(response.headers.get('content-range'));
  const etag = strongEtag(response.headers.get('etag'));
  const sameVersion = partial.etag ? etag === partial.etag : response.headers.get('last-modified') === partial.lastModified;
  const ok =
    response.status === 206 &&
    range !== undefined &&
    range.start === partial.received &&
    (partial.total === undefined || range.total === partial.total) &&
    sameVersion;
  if (ok) return { resume: response };
  await response.body?.cancel().catch(() => {});
  return {};
}

async function readPartialChunks(store: CacheStore, partial: PartialRecord, signal: AbortSignal): Promise<Uint8Array> {
  const bytes = await store.readVerified(partial.chunks, signal);
  if (signal.aborted) throw toAbortError(signal.reason);
  return bytes;
}

async function discard(store: CacheStore, url: string): Promise<undefined> {
  await store.deletePartial(url).catch(() => {});
  return undefined;
}
