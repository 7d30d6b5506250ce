/**
 * A logging reverse proxy in front of each app server of the install matrix.
 * Every request any browser makes (page, workers, ORT's wasm) passes through
 * it, so the test sees the network log in Chromium, Firefox and WebKitGTK
 * alike, and checks each JavaScript response for CommonJS: a module the
 * browser cannot run as ES module, which is how dev servers broke pageinfer.
 */
import { connect, type AddressInfo } from 'node:net';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { init, parse } from 'es-module-lexer';

export interface LoggedRequest {
  path: string;
  status: number;
  contentType: string;
  bytes: number;
  /** For JavaScript: set when the body has no ES module syntax but uses require/module.exports/exports. */
  commonJs?: boolean;
}

export interface Proxy {
  url: string;
  log: LoggedRequest[];
  close(): Promise<void>;
}

/** CommonJS as a browser would receive it: no import/export at all, and CommonJS's own names in use. */
export function isCommonJs(source: string): boolean {
  let hasModuleSyntax = false;
  try {
    const [imports, exports, , moduleSyntax] = parse(source);
    hasModuleSyntax = moduleSyntax || imports.length > 0 || exports.length > 0;
  } catch {
    hasModuleSyntax = false; // not parseable as a module at all
  }
  return !hasModuleSyntax && /\brequire\s*\(|\bmodule\.exports\b|\bexports\.[A-Za-z_$]/.test(source);
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  await init;
  const log: LoggedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const headers = { ...req.headers, 'accept-encoding': 'identity' }; // bodies readable as they are
    const upstream = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers }, (up: IncomingMessage) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = Buffer.concat(chunks);
        const contentType = String(up.headers['content-type'] ?? '');
        const entry: LoggedRequest = { path: req.url ?? '', status: up.statusCode ?? 0, contentType, bytes: body.byteLength };
        if (/javascript/.test(contentType)) entry.commonJs = isCommonJs(body.toString('utf8'));
        log.push(entry);
        const out = { ...up.headers };
        delete out['content-length'];
        delete out['transfer-encoding'];
        res.writeHead(up.statusCode ?? 502, { ...out, 'content-length': String(body.byteLength) });
        res.end(body);
      });
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (e) => {
      log.push({ path: req.url ?? '', status: 502, contentType: '', bytes: 0 });
      res.writeHead(502).end(String(e));
    });
    req.pipe(upstream);
  });
  // WebSockets (Vite's HMR client) go straight through; close() ends them (the server no longer tracks them).
  const tunnels = new Set<{ destroy(): void }>();
  server.on('upgrade', (req, socket, head) => {
    tunnels.add(socket);
    const up = connect(targetPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`), '', ''];
      up.write(lines.join('\r\n'));
      up.write(head);
      socket.pipe(up).pipe(socket);
    });
    tunnels.add(up);
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of tunnels) t.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
