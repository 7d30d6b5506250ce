import type { Capabilities } from '../probe/types.js';
import { ortVersion, version } from '../version.js';

/**
 * What a tuning decision depends on: the browser, the GPU adapter, the cores,
 * whether threads are possible, and the library and ORT versions. Any change
 * gives a new key, so the model is tuned again.
 */
export function deviceFingerprint(caps: Capabilities): string {
  const a = caps.webgpu.adapter;
  return [
    caps.userAgent,
    a ? `${a.vendor}/${a.architecture}/${a.description}${caps.webgpu.isFallbackAdapter ? '/fallback' : ''}` : 'no-webgpu',
    caps.webgl2.renderer || 'no-webgl2',
    `cores=${caps.cores}`,
    `threads=${caps.wasm.threads}`,
    `pageinfer=${version}`,
    `ort=${ortVersion}`,
  ].join('|');
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The store key: model hash + device fingerprint + what the scheduler will ask of it. */
export async function decisionKey(modelHash: string, caps: Capabilities, objective: string): Promise<string> {
  const device = await sha256Hex(new TextEncoder().encode(deviceFingerprint(caps)));
  return `${modelHash}:${device.slice(0, 16)}:${objective}`;
}
