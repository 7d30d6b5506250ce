/**
 * Lazy loaders for onnxruntime-web entries, one per backend: a worker imports
 * only the entry its backend needs. Worker-side only.
 */
import type * as Ort from 'onnxruntime-web';
import { SessionCreateError } from '../errors/index.js';
import { ortEntrySpecifiers } from './entries.js';
import type { BackendName } from './types.js';

export type OrtModule = typeof Ort;

/** Literal specifiers, so that bundlers see each entry and emit it with its .wasm/.mjs files. */
const loaders: Record<BackendName, () => Promise<OrtModule>> = {
  // The native WebGPU EP. Never the default entry: its JSEP WebGPU returns wrong
  // results for uint8 QDQ/QLinear models (microsoft/onnxruntime#32578).
  webgpu: () => import('onnxruntime-web/webgpu'),
  wasm: () => import('onnxruntime-web/wasm'),
  webgl: () => import('onnxruntime-web/webgl'),
};

/**
 * Loads the ORT entry for `backend`, or the ORT module at `moduleUrl` when
 * given (a custom or self-hosted build). Tests use the latter to bring in ORT's
 * default entry, whose JSEP WebGPU returns wrong int8 results, and check that
 * the tuner's numerics guard rejects it; a URL keeps that entry out of bundles.
 * `entryUrl` is where the page resolved the entry (import maps): tried when the
 * bare import cannot be resolved here, as in a worker served without a bundler.
 */
export async function loadOrt(backend: BackendName, moduleUrl?: string, entryUrl?: string): Promise<OrtModule> {
  if (moduleUrl) return import(/* @vite-ignore */ /* webpackIgnore: true */ moduleUrl) as Promise<OrtModule>;
  try {
    return await loaders[backend]();
  } catch (bare) {
    if (!entryUrl) throw cannotImport(backend, bare, 'the page could not resolve it either (no bundler, no import map entry)');
    try {
      return (await import(/* @vite-ignore */ /* webpackIgnore: true */ entryUrl)) as OrtModule;
    } catch (mapped) {
      throw cannotImport(backend, mapped, `nor from ${entryUrl}, where the page's import map points`);
    }
  }
}

function cannotImport(backend: BackendName, cause: unknown, where: string): SessionCreateError {
  const specifier = ortEntrySpecifiers[backend];
  const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new SessionCreateError(
    `The worker could not import ${specifier} (${why}), ${where}. With a bundler this import is rewritten; without one, map "${specifier}" in the page's import map (README, "Install").`,
    { backend, specifier },
    { cause },
  );
}
