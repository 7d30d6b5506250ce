/**
 * Subresource Integrity metadata (`integrity="sha256-… sha384-…"`), checked the
 * way browsers check it: unknown algorithms are ignored, only the strongest
 * algorithm present counts, and any one of its digests may match.
 */
import { IntegrityError } from '../errors/index.js';
import { digest, fromBase64, fromHex, toBase64, toHex, type DigestAlgorithm } from './hash.js';

export interface SriHash {
  algorithm: DigestAlgorithm;
  /** The digest bytes as hex, whatever base64 flavour the metadata used. */
  hex: string;
}

const strength: Record<DigestAlgorithm, number> = { sha256: 1, sha384: 2, sha512: 3 };
const lengths: Record<DigestAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * Parses SRI metadata and keeps the hashes of its strongest algorithm. Throws
 * IntegrityError when the string holds no usable hash: an integrity option
 * that silently checks nothing would be worse than none.
 */
export function parseIntegrity(metadata: string): SriHash[] {
  const hashes: SriHash[] = [];
  for (const token of metadata.trim().split(/\s+/)) {
    const m = /^(sha256|sha384|sha512)-([A-Za-z0-9+/=_-]+)(\?.*)?$/i.exec(token);
    if (!m) continue;
    const algorithm = m[1].toLowerCase() as DigestAlgorithm;
    const bytes = fromBase64(m[2]);
    if (bytes?.length === lengths[algorithm]) hashes.push({ algorithm, hex: toHex(bytes) });
  }
  if (hashes.length === 0) {
    throw new IntegrityError(`integrity '${metadata}' holds no sha256/sha384/sha512 hash in SRI form ('sha256-<base64>')`, {
      integrity: metadata,
    });
  }
  const best = Math.max(...hashes.map((h) => strength[h.algorithm]));
  return hashes.filter((h) => strength[h.algorithm] === best);
}

/** The SHA-256 hex digests the metadata allows, when SHA-256 is its strongest algorithm (else empty). */
export function sha256Candidates(hashes: SriHash[]): string[] {
  return hashes.filter((h) => h.algorithm === 'sha256').map((h) => h.hex);
}

/** SRI text for a SHA-256 hex digest. */
export function sriOf(sha256: string): string {
  return `sha256-${toBase64(fromHex(sha256))}`;
}

/**
 * Whether `bytes` match. `knownSha256` (hex), when the caller already has the
 * digest, saves hashing again for sha256 metadata.
 */
export async function matchesIntegrity(bytes: Uint8Array, hashes: SriHash[], knownSha256?: string): Promise<{ ok: boolean; actual: string }> {
  const algorithm = hashes[0].algorithm;
  const actual = algorithm === 'sha256' && knownSha256 ? knownSha256 : toHex(await digest(algorithm, bytes));
  return { ok: hashes.some((h) => h.hex === actual), actual: `${algorithm}-${toBase64(fromHex(actual))}` };
}
