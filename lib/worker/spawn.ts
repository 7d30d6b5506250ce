/**
 * Creating the worker, and remembering the URL it was created from so that a
 * worker that cannot load can be diagnosed (see diagnose.ts).
 */

/** Creates the worker that hosts ORT (EngineOptions.createWorker: CSP, self-hosting, tests). */
export type WorkerFactory = () => Worker;

/**
 * Written as bundlers expect it (`new Worker(new URL(literal, import.meta.url))`): Vite and
 * webpack see this and emit the worker, with its own bundle, next to the app's code.
 */
export const defaultWorkerFactory: WorkerFactory = () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'pageinfer' });

export interface Spawned {
  worker: Worker;
  /** The script URL as the browser was given it (after any bundler rewrote it); undefined if the factory did not call `new Worker`. */
  url?: string;
}

/**
 * Runs `factory` with `Worker` briefly wrapped to see the URL it passes. The
 * URL a bundler emits (hashed, moved) is only known at run time, and a Worker
 * does not expose it.
 */
export function spawnWorker(factory: WorkerFactory): Spawned {
  const Real = globalThis.Worker;
  let url: string | undefined;
  if (typeof Real !== 'function') return { worker: factory() };
  class Recording extends Real {
    constructor(scriptUrl: string | URL, options?: WorkerOptions) {
      url = new URL(String(scriptUrl), globalThis.location?.href).href;
      super(scriptUrl, options);
    }
  }
  globalThis.Worker = Recording;
  try {
    return { worker: factory(), url };
  } finally {
    globalThis.Worker = Real;
  }
}
