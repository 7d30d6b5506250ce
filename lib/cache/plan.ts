/** Pure decisions of the cache: chunk boundaries, eviction order, HTTP range answers. No I/O here. */

export interface ChunkRef {
  /** SHA-256 (hex) of the chunk's bytes: also its key in the store. */
  hash: string;
  size: number;
}

/**
 * The chunks to cut from a stream of which `length` bytes have arrived, when
 * the current chunk started at `start`: every full `size`-byte range in
 * [start, length), plus the remainder when `final` (end of stream or interruption).
 */
export function chunkRanges(start: number, length: number, size: number, final = false): Array<[number, number]> {
  if (!(size > 0)) throw new RangeError(`chunk size must be positive, got ${size}`);
  const out: Array<[number, number]> = [];
  let at = start;
  while (length - at >= size) {
    out.push([at, at + size]);
    at += size;
  }
  if (final && length > at) out.push([at, length]);
  return out;
}

/** Byte offsets of each chunk, and whether the chunk list adds up to `size`. */
export function chunkOffsets(chunks: readonly ChunkRef[], size: number): { offsets: number[]; consistent: boolean } {
  const offsets: number[] = [];
  let at = 0;
  for (const c of chunks) {
    offsets.push(at);
    at += c.size;
  }
  return { offsets, consistent: at === size };
}

export interface Evictable {
  /** What to delete: an entry's hash or a partial download's URL. */
  key: string;
  kind: 'entry' | 'partial';
  size: number;
  lastUsedAt: number;
}

/**
 * Least recently used items to evict so that `needed` more bytes fit in
 * `budget`. Protected keys are never chosen. Returns as many as help, even
 * when they cannot make enough room (then `fits` is false).
 */
export function planEviction(
  items: readonly Evictable[],
  budget: number,
  needed: number,
  protect: ReadonlySet<string> = new Set(),
): { evict: Evictable[]; fits: boolean } {
  let used = items.reduce((n, i) => n + i.size, 0);
  const evict: Evictable[] = [];
  const candidates = items.filter((i) => !protect.has(i.key)).sort((a, b) => a.lastUsedAt - b.lastUsedAt);
  for (const item of candidates) {
    if (used + needed <= budget) break;
    evict.push(item);
    used -= item.size;
  }
  return { evict, fits: used + needed <= budget };
}

/** `Content-Range: bytes a-b/total` → its numbers; total is undefined for `*`. */
export function parseContentRange(header: string | null): { start: number; end: number; total?: number } | undefined {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return undefined;
  return { start, end, total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** An ETag usable for resuming: strong (a weak one only promises equivalent, not identical, bytes). */
export function strongEtag(etag: string | null | undefined): string | undefined {
  return etag && !etag.startsWith('W/') ? etag : undefined;
}
