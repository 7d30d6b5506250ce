import { FetchError, InvalidModelError, toAbortError } from '../errors/index.js';
import type { ProgressCallback } from '../engine/types.js';

export type ModelSource = string | URL | ArrayBuffer | ArrayBufferView | Blob;

export interface ReadOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  fetchInit?: RequestInit;
}

/** Model bytes from a URL (streamed, with progress) or from bytes the caller already has (copied). */
export async function readSource(src: ModelSource, options: ReadOptions = {}): Promise<Uint8Array> {
  const { signal } = options;
  if (signal?.aborted) throw toAbortError(signal.reason);
  if (src instanceof ArrayBuffer) return new Uint8Array(src.slice(0));
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength));
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  if (typeof src === 'string' || src instanceof URL) return download(String(src), options);
  throw new InvalidModelError('A model source must be a URL, an ArrayBuffer, a typed array or a Blob', { got: typeof src });
}

async function download(url: string, { signal, onProgress, fetchInit }: ReadOptions): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { ...fetchInit, signal });
  } catch (cause) {
    if (signal?.aborted) throw toAbortError(signal.reason);
    throw new FetchError(`Could not fetch ${url}: ${(cause as Error).message}`, { url }, { cause });
  }
  if (!response.ok) throw new FetchError(`Could not fetch ${url}: HTTP ${response.status} ${response.statusText}`, { url, status: response.status });
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      onProgress?.({ phase: 'download', loaded, total: Math.max(total, loaded) });
    }
  } catch (cause) {
    if (signal?.aborted) throw toAbortError(signal.reason);
    throw new FetchError(`Download of ${url} broke after ${loaded} bytes: ${(cause as Error).message}`, { url, loaded }, { cause });
  }
  if (total && loaded !== total && !response.headers.get('content-encoding')) {
    throw new FetchError(`Download of ${url} is truncated: ${loaded} of ${total} bytes`, { url, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}
