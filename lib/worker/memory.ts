/**
 * ORT does not expose its wasm heap. Every ORT 1.30 build is threaded, so its
 * glue creates the (shared) memory with `new WebAssembly.Memory`: wrapping that
 * constructor before ORT loads lets the worker report the heap's real size.
 */
import type { WorkerMemory } from '../protocol/index.js';

const memories: WebAssembly.Memory[] = [];
let installed = false;

export function trackWasmMemory(): void {
  if (installed || typeof WebAssembly !== 'object') return;
  installed = true;
  const Original = WebAssembly.Memory;
  const Tracked = function (this: unknown, descriptor: WebAssembly.MemoryDescriptor) {
    const memory = new Original(descriptor);
    memories.push(memory);
    return memory;
  } as unknown as typeof WebAssembly.Memory;
  Tracked.prototype = Original.prototype; // `instanceof WebAssembly.Memory` keeps working
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Tracked;
}

export function workerMemory(): WorkerMemory {
  const heap = memories.reduce((n, m) => n + m.buffer.byteLength, 0);
  const js = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
  return { wasmHeapBytes: memories.length ? heap : null, jsHeapBytes: js ?? null };
}
