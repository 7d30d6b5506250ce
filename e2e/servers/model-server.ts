/**
 * A small HTTP server for the cache tests and benchmark: serves model bytes
 * from memory on a free loopback port, logs every request (so tests can count
 * downloads and see Range / conditional headers), and can throttle, delay, or
 * drop the connection part-way through a body. CORS and CORP headers let a
 * cross-origin-isolated page (COEP: require-corp) on another port fetch it.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServeOptions {
  /** Send a strong ETag (default true). */
  etag?: boolean;
  /** Send Last-Modified (default true). */
  lastModified?: boolean;
  /** Honour Range requests (default true); when false, Range is ignored and the whole body sent with 200. */
  ranges?: boolean;
  /** Throttle the body to this many bytes per second. */
  bytesPerSecond?: number;
  /** Wait this long before sending the response headers. */
  delayMs?: number;
  /** Destroy the connection after this many body bytes of the next `dropTimes` responses (default: every one). */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** Answer with this status and no body (e.g. 500, 404). */
  status?: number;
}

export interface RequestLog {
  method: string;
  path: string;
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  /** The request's X-Token header: which caller's headers a download was made with. */
  token?: string;
  status: number;
  /** Body bytes written before the response ended (or was dropped). */
  sent: number;
  dropped: boolean;
}

interface Resource {
  bytes: Uint8Array;
  etag: string;
  lastModified: string;
  options: ServeOptions;
}

const cors = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'ETag, Last-Modified, Content-Length, Content-Range, Accept-Ranges',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Timing-Allow-Origin': '*',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ModelServer {
  readonly requests: RequestLog[] = [];
  private readonly resources = new Map<string, Resource>();
  private readonly server: Server;
  private port = 0;
  private lifetime: ReturnType<typeof setTimeout> | undefined;
  private clock = Date.UTC(2026, 0, 1);

  private constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
  }

  /** Listens on 127.0.0.1 (only) on a free port; closes itself after `maxLifetimeMs` whatever happens. */
  static async start({ maxLifetimeMs = 5 * 60_000 } = {}): Promise<ModelServer> {
    const s = new ModelServer();
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(0, '127.0.0.1', () => resolve());
    });
    s.port = (s.server.address() as AddressInfo).port;
    s.lifetime = setTimeout(() => void s.close(), maxLifetimeMs);
    s.lifetime.unref();
    return s;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** Serves `bytes` at `path` (replacing what was there: a new version, new validators). */
  serve(path: string, bytes: Uint8Array, options: ServeOptions = {}): string {
    this.clock += 60_000;
    const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
    this.resources.set(path, { bytes, etag, lastModified: new Date(this.clock).toUTCString(), options });
    return this.url(path);
  }

  /** Changes how `path` is served, keeping its bytes and validators. */
  configure(path: string, options: ServeOptions): void {
    const r = this.resources.get(path);
    if (!r) throw new Error(`nothing served at ${path}`);
    r.options = options;
  }

  /** GET requests for `path` (preflights and HEADs are not downloads). */
  gets(path: string): RequestLog[] {
    return this.requests.filter((r) => r.method === 'GET' && r.path === path);
  }

  async close(): Promise<void> {
    clearTimeout(this.lifetime);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.origin).pathname;
    const header = (name: string) => (req.headers[name] as string | undefined) ?? undefined;
    const log: RequestLog = {
      method: req.method ?? 'GET',
      path,
      range: header('range'),
      ifRange: header('if-range'),
      ifNoneMatch: header('if-none-match'),
      ifModifiedSince: header('if-modified-since'),
      token: header('x-token'),
      status: 0,
      sent: 0,
      dropped: false,
    };
    this.requests.push(log);
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);

    if (req.method === 'OPTIONS') {
      res.writeHead((log.status = 204), {
        'Access-Control-Allow-Methods': 'GET, HEAD',
        'Access-Control-Allow-Headers': 'Range, If-Range, If-None-Match, If-Modified-Since, X-Token',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    const r = this.resources.get(path);
    if (!r) {
      res.writeHead((log.status = 404));
      res.end();
      return;
    }
    const o = r.options;
    if (o.delayMs) await sleep(o.delayMs);
    if (o.status) {
      res.writeHead((log.status = o.status));
      res.end();
      return;
    }
    const etag = o.etag === false ? undefined : r.etag;
    const lastModified = o.lastModified === false ? undefined : r.lastModified;
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-cache' };
    if (etag) headers.ETag = etag;
    if (lastModified) headers['Last-Modified'] = lastModified;
    if (o.ranges !== false) headers['Accept-Ranges'] = 'bytes';

    const notModified = log.ifNoneMatch
      ? !!etag && log.ifNoneMatch.split(',').some((t) => t.trim() === etag)
      : !!log.ifModifiedSince && !!lastModified && Date.parse(log.ifModifiedSince) >= Date.parse(lastModified);
    if (notModified) {
      res.writeHead((log.status = 304), headers);
      res.end();
      return;
    }

    let start = 0;
    let end = r.bytes.byteLength; // exclusive
    let status = 200;
    const m = o.ranges !== false && log.range ? /^bytes=(\d+)-(\d*)$/.exec(log.range) : null;
    const rangeStillValid = !log.ifRange || log.ifRange === etag || log.ifRange === lastModified;
    if (m && rangeStillValid) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]) + 1, end) : end;
      if (start >= r.bytes.byteLength || start >= end) {
        res.writeHead((log.status = 416), { ...headers, 'Content-Range': `bytes */${r.bytes.byteLength}` });
        res.end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end - 1}/${r.bytes.byteLength}`;
    }
    headers['Content-Length'] = String(end - start);
    res.writeHead((log.status = status), headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }

    const drop = o.dropAfterBytes !== undefined && (o.dropTimes === undefined || o.dropTimes > 0);
    if (drop && o.dropTimes !== undefined) o.dropTimes--;
    const limit = drop ? Math.min(end - start, o.dropAfterBytes!) : end - start;
    const slice = o.bytesPerSecond ? Math.max(1024, Math.min(64 * 1024, Math.floor(o.bytesPerSecond / 50))) : 256 * 1024;
    const began = performance.now();
    let gone = false;
    res.on('close', () => (gone = true));
    while (log.sent < limit && !gone) {
      const n = Math.min(slice, limit - log.sent);
      const piece = r.bytes.subarray(start + log.sent, start + log.sent + n);
      if (o.bytesPerSecond) {
        const due = began + ((log.sent + n) / o.bytesPerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (gone) break;
      }
      log.sent += n;
      if (!res.write(piece) && !gone) await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
    if (drop || gone) {
      log.dropped = true;
      // Give the bytes already written a moment to leave, then cut the connection mid-body.
      await sleep(50);
      res.socket?.destroy();
      return;
    }
    res.end();
  }
}

/**
 * A valid variant of an ONNX model with `extra` more bytes (plus a 4–7 byte
 * field header): appends a length-delimited field with an unused number
 * (1000) holding pseudo-random, incompressible bytes. Protobuf readers skip
 * unknown fields, so the model runs the same; its SHA-256 differs per `seed`.
 */
export function padModel(model: Uint8Array, extra: number, seed = 1): Uint8Array {
  const header = [0xc2, 0x3e]; // field 1000, wire type 2 (length-delimited), as a varint
  for (let n = extra; ; ) {
    header.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 128);
    if (!n) break;
  }
  const out = new Uint8Array(model.byteLength + header.length + extra);
  out.set(model);
  out.set(header, model.byteLength);
  let x = (seed * 0x9e3779b9) >>> 0 || 1;
  for (let i = model.byteLength + header.length; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
