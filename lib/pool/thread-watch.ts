/** The deadline of a multi-threaded ORT runtime's start in a worker (see worker/thread-start.ts). */
import * as Comlink from 'comlink';
import { TimeoutError } from '../errors/index.js';
import type { ThreadStartStage } from '../protocol/index.js';

/**
 * Deadline of the step of a multi-threaded build from ORT's start to its wasm fetch, where ORT's glue
 * creates its thread workers: 5–26 ms where it goes through (Chromium, Firefox, WebKitGTK here), and
 * where Firefox's stalls were stuck. Instantiating the fetched wasm gets 4× as long: WebKitGTK's first
 * one in a page took 1.9 s here (the later ones 0.1–0.2 s).
 */
const threadStartTimeoutMs = 3000;
/** Workers a build may take when their threads stall starting. */
export const maxStartAttempts = 3;

/**
 * Times the steps of a multi-threaded runtime's start that a worker reports (its wasm's fetch and
 * compile left out: they may be slow and do not block); `signal` aborts, with a TimeoutError whose
 * details say `stage: 'thread-start'`, when one runs past its deadline.
 */
export function threadStartWatch(config: { threads: number; timeoutMs: number }): { onStage?: (stage: ThreadStartStage) => void; signal: AbortSignal; stop(): void } {
  const stalled = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => clearTimeout(timer);
  if (config.threads <= 1) return { signal: stalled.signal, stop };
  const onStage = Comlink.proxy((stage: ThreadStartStage) => {
    stop();
    if (stage === 'wasm-fetching' || stage === 'threads-started') return;
    // Within half the build's own deadline, so that a stall still leaves the retry its full one.
    const limit = Math.min(threadStartTimeoutMs * (stage === 'wasm-instantiating' ? 4 : 1), config.timeoutMs / 2);
    const message = `ORT's ${config.threads} wasm threads did not start within ${limit} ms (stuck after '${stage}')`;
    timer = setTimeout(() => stalled.abort(new TimeoutError(message, { stage: 'thread-start', after: stage, timeoutMs: limit, threads: config.threads })), limit);
  });
  return { onStage, signal: stalled.signal, stop };
}

export function isThreadStartStall(error: unknown): error is TimeoutError {
  return error instanceof TimeoutError && error.details.stage === 'thread-start';
}

