import { describe, expect, it } from 'vitest';
import { AbortError, TimeoutError } from '../errors/index.js';
import { databaseLock, urlLock, withLocks } from './lock.js';
import { joinKey } from './share.js';

// Node has no navigator.locks: these exercise the in-realm fallback, with the same rules as Web Locks.
const never = new AbortController().signal;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('cache locks', () => {
  it('lets shared holders in together and makes an exclusive one wait for all of them', async () => {
    const log: string[] = [];
    let releaseA!: () => void;
    const heldA = new Promise<void>((r) => (releaseA = r));
    const a = withLocks([databaseLock('db', 'shared')], never, Infinity, async () => (log.push('a'), heldA));
    const b = withLocks([databaseLock('db', 'shared')], never, Infinity, async () => log.push('b'));
    const clear = withLocks([databaseLock('db', 'exclusive')], never, Infinity, async () => log.push('clear'));
    await b;
    await tick();
    expect(log).toEqual(['a', 'b']);
    releaseA();
    await Promise.all([a, clear]);
    expect(log).toEqual(['a', 'b', 'clear']);
  });

  it('ends a wait past the deadline with a TimeoutError naming the lock, and the holder is unaffected', async () => {
    let release!: () => void;
    const holder = withLocks([urlLock('db', 'u')], never, Infinity, () => new Promise<string>((r) => (release = () => r('done'))));
    const waiter = withLocks([databaseLock('db', 'shared'), urlLock('db', 'u')], never, 30, async () => 'never');
    const error = await waiter.catch((e) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.details).toMatchObject({ lock: 'pageinfer-cache:db:u' });
    expect(error.details.waitedMs).toBeGreaterThanOrEqual(25);
    release();
    expect(await holder).toBe('done');
    // The lock is free again: the next caller gets it at once.
    expect(await withLocks([urlLock('db', 'u')], never, 30, async () => 'next')).toBe('next');
  });

  it('an abort while waiting rejects with AbortError; the deadline does not count once the locks are held', async () => {
    let release!: () => void;
    const holder = withLocks([urlLock('db', 'v')], never, Infinity, () => new Promise<void>((r) => (release = r)));
    const quit = new AbortController();
    const waiter = withLocks([urlLock('db', 'v')], quit.signal, Infinity, async () => 'never');
    quit.abort();
    await expect(waiter).rejects.toBeInstanceOf(AbortError);
    release();
    await holder;
    expect(await withLocks([urlLock('db', 'v')], never, 10, async () => (await new Promise((r) => setTimeout(r, 40)), 'slow work is fine'))).toBe('slow work is fine');
  });
});

describe('which loads may share one download', () => {
  it('the same request joins: header order and case do not matter', () => {
    expect(joinKey({ headers: { 'X-Token': 'a', Accept: '*/*' } })).toBe(joinKey({ headers: [['accept', '*/*'], ['x-token', 'a']] }));
    expect(joinKey(undefined)).toBe(joinKey(undefined));
  });

  it('different headers or credentials do not join; an init with a body or signal never joins', () => {
    expect(joinKey({ headers: { 'X-Token': 'a' } })).not.toBe(joinKey({ headers: { 'X-Token': 'b' } }));
    expect(joinKey({ credentials: 'include' })).not.toBe(joinKey({ credentials: 'omit' }));
    expect(joinKey({ headers: { a: '1' } })).not.toBe(joinKey(undefined));
    const withSignal = { signal: new AbortController().signal };
    expect(joinKey(withSignal)).not.toBe(joinKey(withSignal));
  });
});
