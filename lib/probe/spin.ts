import { epochNow } from './clock.js';

let sink = 0;
/** The longest a worker waits for the common start. */
const maxWaitMs = 100;

/**
 * Worker side of the parallelism probe: waits (busy) until `startAt` (epoch ms), then counts
 * fixed chunks of integer work until `startAt + ms`.
 */
export function spin(startAt: number, ms: number): number {
  const start = Math.min(startAt, epochNow() + maxWaitMs); // capped: the threads' clocks could disagree
  while (epochNow() < start);
  const end = start + ms; // the common window's end: a worker that arrived late counts less
  let chunks = 0;
  let x = sink;
  while (epochNow() < end) {
    for (let i = 0; i < 2000; i++) x = (Math.imul(x, 1664525) + 1013904223) | 0;
    chunks++;
  }
  sink = x; // keeps the loop from being optimized away
  return chunks;
}
