import { toAbortError } from '../errors/index.js';
import type { LoadProgress, ProgressCallback, WarningDetail } from '../events/types.js';

export interface Subscriber {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  warn?: (detail: WarningDetail) => void;
}

export interface TaskContext {
  /** Aborted only when every subscriber has given up. */
  signal: AbortSignal;
  progress(event: LoadProgress): void;
  warn(detail: WarningDetail): void;
}

/**
 * One piece of work (a model download) shared by every caller that asks for
 * it while it runs. Each caller has its own signal: one that aborts leaves
 * with an AbortError at once, and the work itself stops only when the last
 * caller has left. Progress and warnings go to every caller still there.
 */
export class SharedTask<T> {
  private readonly controller = new AbortController();
  private readonly subscribers = new Set<Subscriber>();
  private readonly promise: Promise<T>;
  private last: LoadProgress | null = null;
  private settled = false;

  constructor(run: (ctx: TaskContext) => Promise<T>, private readonly onDone: () => void) {
    const ctx: TaskContext = {
      signal: this.controller.signal,
      progress: (event) => {
        this.last = event;
        for (const s of this.subscribers) s.onProgress?.(event);
      },
      warn: (detail) => {
        for (const s of this.subscribers) s.warn?.(detail);
      },
    };
    // Started on a later microtask, so the creator's join() has subscribed before the work reports anything.
    this.promise = Promise.resolve().then(() => run(ctx));
    this.promise.then(
      () => this.finish(),
      () => this.finish(),
    );
  }

  /** Whether a new caller may still join (not finished, not abandoned). */
  get joinable(): boolean {
    return !this.settled && !this.controller.signal.aborted;
  }

  join(sub: Subscriber): Promise<T> {
    if (sub.signal?.aborted) return Promise.reject(toAbortError(sub.signal.reason));
    this.subscribers.add(sub);
    if (this.last) sub.onProgress?.(this.last);
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        sub.signal?.removeEventListener('abort', onAbort);
        this.subscribers.delete(sub);
      };
      const onAbort = () => {
        leave();
        if (this.subscribers.size === 0 && !this.settled) {
          this.controller.abort(sub.signal?.reason);
          this.finish();
        }
        reject(toAbortError(sub.signal?.reason));
      };
      sub.signal?.addEventListener('abort', onAbort, { once: true });
      this.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error) => {
          leave();
          reject(error);
        },
      );
    });
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.onDone();
  }
}

/** Tasks by key; a key has at most one joinable task at a time. */
export class TaskRegistry {
  private readonly tasks = new Map<string, SharedTask<unknown>>();

  run<T>(key: string, sub: Subscriber, work: (ctx: TaskContext) => Promise<T>): Promise<T> {
    let task = this.tasks.get(key) as SharedTask<T> | undefined;
    if (!task?.joinable) {
      const created: SharedTask<T> = new SharedTask<T>(work, () => {
        if (this.tasks.get(key) === created) this.tasks.delete(key);
      });
      task = created;
      this.tasks.set(key, task);
    }
    return task.join(sub);
  }

  get size(): number {
    return this.tasks.size;
  }
}

/** Request fields two loads may differ in and still be the same request when equal. */
const comparable = ['method', 'credentials', 'mode', 'referrer', 'referrerPolicy', 'cache', 'redirect', 'integrity', 'priority'] as const;
let unique = 0;

/**
 * What makes two loads' `fetchInit` the same request, as a string: the headers
 * (names lower-cased, sorted) and the fields above. A load whose init has
 * anything else (a body, a signal, a field this does not know) gets a key of
 * its own and never joins another load's download.
 */
export function joinKey(init: RequestInit | undefined): string {
  if (!init) return '';
  const known = new Set<string>([...comparable, 'headers']);
  if (Object.keys(init).some((k) => !known.has(k) && (init as Record<string, unknown>)[k] !== undefined)) return `own:${++unique}`;
  const headers = [...new Headers(init.headers).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const fields = comparable.map((k) => [k, (init as Record<string, unknown>)[k] ?? null]);
  return JSON.stringify([headers, fields]);
}
