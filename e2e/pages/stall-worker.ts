/**
 * The pageinfer worker, made to block for good where Firefox's multi-threaded ORT start now and then
 * stalls: when ORT's glue creates its thread workers (before it fetches its wasm), if this worker's
 * name says so. The thread is really blocked (Atomics.wait), so nothing in it can notice or answer:
 * only the page can.
 */
import '../../lib/worker/worker.ts';

if (self.name === 'pageinfer-stall') {
  (globalThis as { Worker: unknown }).Worker = function stalledWorker() {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  };
}
