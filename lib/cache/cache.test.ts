import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AbortError, IntegrityError } from '../errors/index.js';
import type { LoadProgress } from '../engine/types.js';
import { fromBase64, sha256Hex, toBase64 } from './hash.js';
import { chunkOffsets, chunkRanges, parseContentRange, planEviction, strongEtag, type Evictable } from './plan.js';
import { SharedTask, TaskRegistry } from './share.js';
import { matchesIntegrity, parseIntegrity, sha256Candidates, sriOf } from './sri.js';

const sri = (alg: string, data: Uint8Array) => `${alg}-${createHash(alg).update(data).digest('base64')}`;
const bytes = new TextEncoder().encode('pageinfer model bytes');

describe('chunk planning', () => {
  it('cuts full chunks and leaves the rest until the end', () => {
    expect(chunkRanges(0, 10, 4)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(chunkRanges(8, 10, 4)).toEqual([]);
    expect(chunkRanges(8, 10, 4, true)).toEqual([[8, 10]]);
    expect(chunkRanges(0, 8, 4, true)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(chunkRanges(0, 0, 4, true)).toEqual([]);
  });

  it('continues from where a resumed download stopped, chunk boundaries relative to it', () => {
    expect(chunkRanges(6, 15, 4)).toEqual([
      [6, 10],
      [10, 14],
    ]);
    expect(() => chunkRanges(0, 1, 0)).toThrow(RangeError);
  });

  it('computes offsets and checks that chunks add up', () => {
    const chunks = [
      { hash: 'a', size: 4 },
      { hash: 'b', size: 3 },
      { hash: 'c', size: 4 },
    ];
    expect(chunkOffsets(chunks, 11)).toEqual({ offsets: [0, 4, 7], consistent: true });
    expect(chunkOffsets(chunks, 12).consistent).toBe(false);
  });
});

describe('LRU eviction', () => {
  const item = (key: string, size: number, lastUsedAt: number, kind: Evictable['kind'] = 'entry'): Evictable => ({ key, kind, size, lastUsedAt });
  const items = [item('b', 30, 2), item('a', 30, 1), item('c', 30, 3), item('p', 5, 0, 'partial')];

  it('evicts least recently used first, only as much as needed', () => {
    expect(planEviction(items, 100, 0)).toEqual({ evict: [], fits: true });
    const plan = planEviction(items, 100, 30);
    expect(plan.evict.map((i) => i.key)).toEqual(['p', 'a']);
    expect(plan.fits).toBe(true);
    expect(planEviction(items, 100, 60).evict.map((i) => i.key)).toEqual(['p', 'a', 'b']);
  });

  it('never evicts protected keys, and says when room cannot be made', () => {
    const plan = planEviction(items, 40, 0, new Set(['a', 'c']));
    expect(plan.evict.map((i) => i.key)).toEqual(['p', 'b']);
    expect(plan.fits).toBe(false);
  });
});

describe('HTTP helpers', () => {
  it('parses Content-Range', () => {
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes 5-9/*')).toEqual({ start: 5, end: 9, total: undefined });
    expect(parseContentRange('bytes */1000')).toBeUndefined();
    expect(parseContentRange(null)).toBeUndefined();
    expect(parseContentRange('bytes 9-5/10')).toBeUndefined();
  });

  it('keeps only strong ETags for resuming', () => {
    expect(strongEtag('"abc"')).toBe('"abc"');
    expect(strongEtag('W/"abc"')).toBeUndefined();
    expect(strongEtag(null)).toBeUndefined();
  });
});

describe('SRI', () => {
  it('parses sha256/384/512, keeps the strongest, ignores unknown algorithms and options', () => {
    const s256 = sri('sha256', bytes);
    const s512 = sri('sha512', bytes);
    expect(parseIntegrity(s256)).toEqual([{ algorithm: 'sha256', hex: createHash('sha256').update(bytes).digest('hex') }]);
    const mixed = parseIntegrity(`md5-xyz ${s256} ${s512}?ct=application/octet-stream`);
    expect(mixed.map((h) => h.algorithm)).toEqual(['sha512']);
    expect(sha256Candidates(mixed)).toEqual([]);
  });

  it('rejects metadata with no usable hash', () => {
    expect(() => parseIntegrity('md5-abc')).toThrow(IntegrityError);
    expect(() => parseIntegrity('sha256-tooshort')).toThrow(/SRI form/);
    expect(() => parseIntegrity('')).toThrow(IntegrityError);
  });

  it('accepts url-safe base64 and matches any hash of the strongest algorithm', async () => {
    const good = sri('sha384', bytes);
    const other = sri('sha384', new Uint8Array([1, 2, 3]));
    const urlSafe = good.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect((await matchesIntegrity(bytes, parseIntegrity(`${other} ${urlSafe}`))).ok).toBe(true);
    const bad = await matchesIntegrity(bytes, parseIntegrity(other));
    expect(bad).toEqual({ ok: false, actual: good });
  });

  it('round-trips sha256 hex and SRI text', async () => {
    const hex = await sha256Hex(bytes);
    expect(hex).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(sriOf(hex)).toBe(sri('sha256', bytes));
    expect(toBase64(fromBase64('AAEC/w==')!)).toBe('AAEC/w==');
    expect(fromBase64('not base64!')).toBeUndefined();
  });
});

describe('shared downloads', () => {
  const deferred = <T>() => {
    let resolve!: (v: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('runs once for concurrent callers and gives each the result and the progress', async () => {
    const registry = new TaskRegistry();
    const gate = deferred<string>();
    let runs = 0;
    const seen: LoadProgress[][] = [[], []];
    const work = async (ctx: { progress(e: LoadProgress): void }) => {
      runs++;
      ctx.progress({ phase: 'download', loaded: 1, total: 2 });
      return gate.promise;
    };
    const a = registry.run('k', { onProgress: (e) => seen[0].push(e) }, work);
    const b = registry.run('k', { onProgress: (e) => seen[1].push(e) }, work);
    await Promise.resolve();
    gate.resolve('bytes');
    expect(await Promise.all([a, b])).toEqual(['bytes', 'bytes']);
    expect(runs).toBe(1);
    expect(seen[0]).toHaveLength(1);
    expect(seen[1]).toHaveLength(1);
    expect(registry.size).toBe(0);
  });

  it('lets one caller abort without stopping the others, and stops the work when all have left', async () => {
    const registry = new TaskRegistry();
    let workSignal!: AbortSignal;
    const gate = deferred<string>();
    const work = async (ctx: { signal: AbortSignal }) => {
      workSignal = ctx.signal;
      return gate.promise;
    };
    const ca = new AbortController();
    const cb = new AbortController();
    const a = registry.run('k', { signal: ca.signal }, work);
    const b = registry.run('k', { signal: cb.signal }, work);
    await Promise.resolve();
    ca.abort();
    await expect(a).rejects.toBeInstanceOf(AbortError);
    expect(workSignal.aborted).toBe(false);
    cb.abort(new Error('user left'));
    await expect(b).rejects.toThrow('user left');
    expect(workSignal.aborted).toBe(true);
    // A new caller starts fresh work rather than joining the abandoned one.
    let second = 0;
    const c = registry.run('k', {}, async () => {
      second++;
      return 'again';
    });
    expect(await c).toBe('again');
    expect(second).toBe(1);
    gate.resolve('late');
  });

  it('rejects at once for an already-aborted signal', async () => {
    const task = new SharedTask(async () => 'x', () => {});
    await expect(task.join({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});
