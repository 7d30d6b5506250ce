/**
 * Where the page's module resolution puts onnxruntime-web's entries. Page side.
 *
 * With a bundler, the worker's own `import('onnxruntime-web/wasm')` is rewritten
 * and this is never needed. Without one (a page with an import map), the worker
 * cannot resolve a bare specifier: module workers get no import map. The page
 * can, through `import.meta.resolve`, so it hands the worker the URLs.
 */
import type { BackendName } from './types.js';

export const ortEntrySpecifiers: Readonly<Record<BackendName, string>> = {
  webgpu: 'onnxruntime-web/webgpu',
  wasm: 'onnxruntime-web/wasm',
  webgl: 'onnxruntime-web/webgl',
};

let resolved: Partial<Record<BackendName, string>> | undefined;

/** The entries the page's import map (or the browser's resolution) knows; empty where nothing resolves them. */
export function ortEntryUrls(): Partial<Record<BackendName, string>> {
  if (resolved) return resolved;
  resolved = {};
  for (const [backend, specifier] of Object.entries(ortEntrySpecifiers) as [BackendName, string][]) {
    try {
      // Throws (TypeError) for a bare specifier nothing maps, as in every bundled app.
      if (typeof import.meta.resolve === 'function') resolved[backend] = import.meta.resolve(specifier);
    } catch {
      // not resolvable from the page: the worker's bundled import is the only way
    }
  }
  return resolved;
}
