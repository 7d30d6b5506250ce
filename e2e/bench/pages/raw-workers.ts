/**
 * Hand-written hybrid batching over raw ORT workers: the same burst split into batches of
 * maxBatch rows, sent round-robin, outputs split back. Its 2-worker / 1-worker ratio is what
 * this machine allows (the ceiling pageinfer's pool is measured against).
 */
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';

interface Reply {
  id: number;
  data: Float32Array;
  dims: number[];
  error?: string;
}

export class RawPool {
  private next = 0;
  private readonly waiting = new Map<number, (r: Reply) => void>();

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) w.onmessage = (e: MessageEvent<Reply>) => this.waiting.get(e.data.id)?.(e.data);
  }

  static async open(modelBytes: Uint8Array, size: number): Promise<RawPool> {
    const workers = Array.from({ length: size }, () => new Worker(new URL('./ort-worker.ts', import.meta.url), { type: 'module' }));
    const ready = await Promise.allSettled(
      workers.map((w) => {
        const model = modelBytes.slice().buffer;
        return new Promise<void>((resolve, reject) => {
          w.onmessage = (e: MessageEvent<Reply>) => (e.data.error ? reject(new Error(`raw ORT worker: session creation failed: ${e.data.error}`)) : resolve());
          w.onerror = (e) => reject(new Error(`raw ORT worker failed: ${e.message}`));
          w.postMessage({ init: { model, wasm: new URL(ortWasmUrl, location.href).href } }, [model]);
        });
      }),
    );
    const failed = ready.find((r) => r.status === 'rejected');
    if (!failed) return new RawPool(workers);
    for (const w of workers) w.terminate(); // the ones that did start must not hold their memory
    throw failed.reason;
  }

  /** Runs `rows` single-row inputs (each `rowSize` floats) in batches of `maxBatch`; one output row per input. */
  async burst(input: string, rows: Float32Array[], rowDims: number[], maxBatch: number): Promise<{ outputs: Float32Array[]; doneAt: number[] }> {
    const rowSize = rows[0].length;
    const jobs: Array<Promise<Float32Array[]>> = [];
    const doneAt: number[] = [];
    for (let start = 0, k = 0; start < rows.length; start += maxBatch, k++) {
      const part = rows.slice(start, start + maxBatch);
      const data = new Float32Array(part.length * rowSize);
      part.forEach((r, i) => data.set(r, i * rowSize));
      const id = this.next++;
      const reply = new Promise<Reply>((resolve, reject) => this.waiting.set(id, (r) => (r.error ? reject(new Error(`raw ORT worker: run failed: ${r.error}`)) : resolve(r))));
      this.workers[k % this.workers.length].postMessage({ id, input, data, dims: [part.length, ...rowDims] }, [data.buffer]);
      jobs.push(
        reply.then((r) => {
          this.waiting.delete(id);
          const at = performance.now();
          for (let i = 0; i < part.length; i++) doneAt[start + i] = at;
          const width = r.data.length / part.length;
          return part.map((_, i) => r.data.slice(i * width, (i + 1) * width));
        }),
      );
    }
    return { outputs: (await Promise.all(jobs)).flat(), doneAt };
  }

  dispose(): void {
    for (const w of this.workers) w.terminate();
  }
}
