/** Node-only file I/O for the CLI: typed errors, and writes that never leave half a file. */
import { randomBytes } from 'node:crypto';
import { readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { FileAccessError } from '../errors/index.js';
import type { Feeds, Tensor } from '../tensor/types.js';

function why(cause: unknown): string {
  const code = (cause as { code?: string }).code;
  const known: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'a parent is not a directory', EROFS: 'read-only file system', ENOSPC: 'no space left on device' };
  return (code && known[code]) || (cause instanceof Error ? cause.message : String(cause));
}

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new FileAccessError(`Cannot read '${path}': ${why(cause)}`, { path, operation: 'read' }, { cause });
  }
}

/** Writes to a temp file beside `path`, then renames it over `path` (atomic on one file system). */
export async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    if ((await stat(path).catch(() => undefined))?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw new FileAccessError(`Cannot write '${path}': ${why(cause)}`, { path, operation: 'write' }, { cause });
  }
}

/** Parses a .npy file holding float32 (little-endian, C order). */
export function parseNpy(bytes: Uint8Array, path: string): Tensor {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new FileAccessError(`'${path}' is not a .npy file`, { path, operation: 'read' });
  const major = bytes[6];
  const headerLen = major === 1 ? bytes[8] | (bytes[9] << 8) : new DataView(bytes.buffer, bytes.byteOffset + 8, 4).getUint32(0, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr !== '<f4' || /'fortran_order':\s*True/.test(header) || shape === undefined) {
    throw new FileAccessError(`'${path}': only little-endian float32 C-order .npy is supported (got ${descr})`, { path, operation: 'read' });
  }
  const dims = shape.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const data = new Float32Array(bytes.slice(start + headerLen).buffer);
  return { type: 'float32', data, dims };
}

function toTensor(value: unknown, path: string): Tensor {
  const v = value as { dims?: number[]; data?: number[]; type?: string };
  if (!Array.isArray(v?.dims) || !Array.isArray(v?.data)) throw new FileAccessError(`'${path}': each input needs "dims" and "data" arrays`, { path, operation: 'read' });
  return { type: 'float32', data: Float32Array.from(v.data), dims: v.dims };
}

/**
 * Loads sample inputs: a .json file (an object mapping input names to
 * {dims, data}, or an array of such objects), a .npy file (for a one-input
 * model, named by `inputName`), or a directory of those files.
 */
export async function loadFeeds(path: string, inputName: string): Promise<Feeds[]> {
  const info = await stat(path).catch((cause) => {
    throw new FileAccessError(`Cannot read '${path}': ${why(cause)}`, { path, operation: 'read' }, { cause });
  });
  if (info.isDirectory()) {
    const files = (await readdir(path)).filter((f) => ['.json', '.npy'].includes(extname(f))).sort();
    const all = await Promise.all(files.map((f) => loadFeeds(join(path, f), inputName)));
    return all.flat();
  }
  const bytes = await readBytes(path);
  if (extname(path) === '.npy') return [{ [inputName]: parseNpy(bytes, path) }];
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new FileAccessError(`'${path}' is not valid JSON`, { path, operation: 'read' }, { cause });
  }
  const list = Array.isArray(json) ? json : [json];
  return list.map((entry) => Object.fromEntries(Object.entries(entry as object).map(([k, v]) => [k, toTensor(v, path)])));
}
