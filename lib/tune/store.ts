import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { TuningInfo } from './types.js';

let store: UseStore | null | undefined;

/** Its own database: idb-keyval cannot add a second object store to an existing one. */
function tuningStore(): UseStore | null {
  if (store === undefined) {
    try {
      store = typeof indexedDB === 'undefined' ? null : createStore('pageinfer-tuning', 'decisions');
    } catch {
      store = null;
    }
  }
  return store;
}

/** A stored decision, or undefined (also when IndexedDB is unavailable: tuning then simply is not remembered). */
export function loadDecision(key: string): Promise<TuningInfo | undefined> {
  return recall<TuningInfo>(key);
}

export function saveDecision(info: TuningInfo): Promise<boolean> {
  return remember(info.key, info);
}

export async function forgetDecision(key: string): Promise<void> {
  const s = tuningStore();
  if (s) await del(key, s).catch(() => {});
}

/** A decision remembered per device (a tuning, which variant of a model serves); undefined when none or no IndexedDB. */
export async function recall<T>(key: string): Promise<T | undefined> {
  const s = tuningStore();
  if (!s) return undefined;
  try {
    return await get<T>(key, s);
  } catch {
    return undefined;
  }
}

export async function remember(key: string, value: unknown): Promise<boolean> {
  const s = tuningStore();
  if (!s) return false;
  try {
    await set(key, value, s);
    return true;
  } catch {
    return false;
  }
}
