/**
 * `pageinfer/vite`: an optional Vite plugin with the settings pageinfer needs.
 * An app works without it when its config says the same (README, "Install").
 *
 * - COOP/COEP on the dev and preview servers: a cross-origin isolated page gets
 *   SharedArrayBuffer, so onnxruntime-web can run more than one wasm thread.
 * - `optimizeDeps.exclude: ['onnxruntime-web']`: ORT finds its .wasm/.mjs next
 *   to its own module (import.meta.url); pre-bundling would move the module away from them.
 * - `worker.format: 'es'`: pageinfer's worker imports ORT's entries lazily (code
 *   splitting), which Vite's default worker format (iife) cannot build.
 */
import type { Plugin } from 'vite';

/** The two headers that make a page cross-origin isolated. */
export const isolationHeaders: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export interface PageinferPluginOptions {
  /** Send COOP/COEP from `vite` and `vite preview` (default true). Production servers need them too: see README. */
  isolation?: boolean;
}

export function pageinfer(options: PageinferPluginOptions = {}): Plugin {
  const headers = options.isolation === false ? {} : { ...isolationHeaders };
  return {
    name: 'pageinfer',
    config: () => ({
      server: { headers },
      preview: { headers },
      optimizeDeps: { exclude: ['onnxruntime-web'] },
      worker: { format: 'es' as const },
    }),
  };
}

export default pageinfer;
