/**
 * Waits until this machine's CPUs are quiet before a timing-sensitive task. Right after some
 * tasks the browser keeps working in the background for seconds (the GPU process after WebGPU on
 * SwiftShader, IndexedDB compacting after the cache suite wrote tens of MB), and a fixed sleep
 * was not always enough. Linux only (/proc/stat); elsewhere it waits `minMs`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Quiet {
  waitedMs: number;
  /** Cores busy (of cpus().length) over the last second before the task. */
  busyCores: number | null;
  quiet: boolean;
}

function times(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** At least `minMs`, then until under `maxBusyCores` were busy for a whole second (or `maxMs`). */
export async function waitForQuiet({ minMs = 1000, maxMs = 30_000, maxBusyCores = 0.35 } = {}): Promise<Quiet> {
  const start = Date.now();
  if (!existsSync('/proc/stat')) {
    await sleep(minMs);
    return { waitedMs: Date.now() - start, busyCores: null, quiet: false };
  }
  const n = cpus().length;
  await sleep(Math.max(0, minMs - 1000));
  for (;;) {
    const a = times();
    await sleep(1000);
    const b = times();
    const busyCores = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * n;
    const waitedMs = Date.now() - start;
    if (busyCores <= maxBusyCores || waitedMs >= maxMs) return { waitedMs, busyCores: Math.round(busyCores * 100) / 100, quiet: busyCores <= maxBusyCores };
  }
}
