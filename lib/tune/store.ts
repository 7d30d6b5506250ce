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
export async function loadDecision(key: string): Promise<TuningInfo | undefined> {
  const s = tuningStore();
  if (!s) return undefined;
  try {
    return await get<TuningInfo>(key, s);
  } catch {
    return undefined;
  }
}

export async function saveDecision(info: TuningInfo): Promise<boolean> {
  const s = tuningStore();
  if (!s) return false;
  try {
    await set(info.key, info, s);
    return true;
  } catch {
    return false;
  }
}

export async function forgetDecision(key: string): Promise<void> {
  const s = tuningStore();
  if (s) await del(key, s).catch(() => {});
}

/** Any other decision remembered per device (which variant of a model serves); undefined when none or no IndexedDB. */
export async function recall<T>(key: string): Promise<T | undefined> {
  const s = tuningStore();
  if (!s) return undefined;
  return get<T>(key, s).catch(() => undefined);
}

export async function remember(key: string, value: unknown): Promise<boolean> {
  const s = tuningStore();
  if (!s) return false;
  return set(key, value, s).then(
    () => true,
    () => false,
  );
}
