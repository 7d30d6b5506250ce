import { IntegrityError, InvalidModelError, toAbortError } from '../errors/index.js';
import type { ProgressCallback } from '../events/types.js';
import { ModelCache } from '../cache/cache.js';
import { canDigest } from '../cache/hash.js';
import { matchesIntegrity, parseIntegrity } from '../cache/sri.js';
import type { CachePolicy } from '../cache/types.js';

export type ModelSource = string | URL | ArrayBuffer | ArrayBufferView | Blob;

export interface ReadOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  fetchInit?: RequestInit;
  /** The cache URL sources go through; without one, a plain (uncached) download. */
  cache?: ModelCache;
  policy?: CachePolicy;
  /** SRI metadata the bytes must match, whatever the source. */
  integrity?: string;
  /** A cached copy's bytes while their verification runs (see CacheFetchOptions.onUnverified). */
  onUnverified?: (read: SourceBytes) => void;
}

const uncached = new ModelCache(false);

export interface SourceBytes {
  bytes: Uint8Array;
  /** SHA-256 (hex) of the bytes, when reading them computed it (a URL source: the cache's content address). */
  sha256?: string;
  /** Bytes from the network, from the IndexedDB cache (a cached model, or the part of a resumed download), from the caller's memory. */
  from: { network: number; cache: number; memory: number };
}

/**
 * Model bytes from a URL (through the cache, streamed, with progress) or from
 * bytes the caller already has (copied). `integrity` is checked either way.
 */
export async function readSource(src: ModelSource, options: ReadOptions = {}): Promise<SourceBytes> {
  const { signal } = options;
  if (signal?.aborted) throw toAbortError(signal.reason);
  if (typeof src === 'string' || src instanceof URL) {
    const got = await (options.cache ?? uncached).fetchWithOrigin(src, {
      cache: options.policy,
      integrity: options.integrity,
      signal,
      onProgress: options.onProgress,
      fetchInit: options.fetchInit,
      onUnverified: options.onUnverified && ((bytes, meta) => options.onUnverified!({ bytes, sha256: meta.sha256, from: { ...meta.from, memory: 0 } })),
    });
    return { bytes: got.bytes, sha256: got.sha256, from: { ...got.from, memory: 0 } };
  }
  let bytes: Uint8Array;
  if (src instanceof ArrayBuffer) bytes = new Uint8Array(src.slice(0));
  else if (ArrayBuffer.isView(src)) bytes = new Uint8Array(src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength));
  else if (typeof Blob !== 'undefined' && src instanceof Blob) bytes = new Uint8Array(await src.arrayBuffer());
  else throw new InvalidModelError('A model source must be a URL, an ArrayBuffer, a typed array or a Blob', { got: typeof src });
  if (options.integrity !== undefined) await checkBytes(bytes, options.integrity, options);
  return { bytes, from: { network: 0, cache: 0, memory: bytes.byteLength } };
}

async function checkBytes(bytes: Uint8Array, integrity: string, { onProgress, signal }: ReadOptions): Promise<void> {
  const sri = parseIntegrity(integrity);
  if (!canDigest()) throw new IntegrityError('integrity cannot be checked: crypto.subtle is unavailable (not a secure context)', { integrity });
  onProgress?.({ phase: 'verify', loaded: 0, total: bytes.byteLength });
  const m = await matchesIntegrity(bytes, sri);
  if (signal?.aborted) throw toAbortError(signal.reason);
  if (!m.ok) throw new IntegrityError(`The model bytes do not match their integrity metadata: got ${m.actual}`, { integrity, actual: m.actual });
  onProgress?.({ phase: 'verify', loaded: bytes.byteLength, total: bytes.byteLength });
}
