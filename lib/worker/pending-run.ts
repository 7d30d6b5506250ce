/**
 * A run the page waits for, by message or through the shared run channel: settled once, by its
 * reply, an abort (at once: the worker's reply, when it comes, is dropped) or the worker's death.
 */
import { toAbortError } from '../errors/index.js';
import type { RunResult } from '../protocol/index.js';

export interface PendingRun {
  /** Settled: answered, aborted or failed with the worker. */
  done: boolean;
  resolve(result: RunResult): void;
  reject(error: unknown): void;
  cleanup?: () => void;
}

/** A pending run that `signal` aborts. */
export function pendingRun<T extends object>(resolve: (result: RunResult) => void, reject: (error: unknown) => void, signal: AbortSignal | undefined, extra: T): PendingRun & T {
  const run: PendingRun & T = { ...extra, resolve, reject, done: false };
  if (signal) {
    const onAbort = () => settle(run, toAbortError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    run.cleanup = () => signal.removeEventListener('abort', onAbort);
  }
  return run;
}

export function settle(run: PendingRun, error: unknown, result?: RunResult): void {
  if (run.done) return;
  run.done = true;
  run.cleanup?.();
  if (error) run.reject(error);
  else run.resolve(result!);
}
