/** SHA digests through WebCrypto (`crypto.subtle`, which needs a secure context), and their text forms. */

export type DigestAlgorithm = 'sha256' | 'sha384' | 'sha512';

const webCryptoName: Record<DigestAlgorithm, string> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

/** Whether digests can be computed here (false on plain-http pages other than localhost). */
export function canDigest(): boolean {
  return typeof crypto !== 'undefined' && typeof crypto.subtle?.digest === 'function';
}

export async function digest(algorithm: DigestAlgorithm, data: ArrayBuffer | ArrayBufferView): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(webCryptoName[algorithm], data as BufferSource));
}

/** Lower-case hex SHA-256 of `data`: the cache's content address. */
export async function sha256Hex(data: ArrayBuffer | ArrayBufferView): Promise<string> {
  return toHex(await digest('sha256', data));
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Accepts standard and URL-safe base64, with or without padding; undefined when it is not base64. */
export function fromBase64(text: string): Uint8Array | undefined {
  const std = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(std) || std.length % 4 === 1) return undefined;
  const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export const isSha256Hex = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);
