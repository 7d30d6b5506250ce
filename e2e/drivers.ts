/**
 * One small interface over the three ways the benchmark (e2e/bench) and the install matrix
 * (install.spec.ts) drive a browser: Playwright (Chromium, Firefox through the moz-firefox
 * BiDi channel, Playwright's own WebKit where installed) and plain W3C WebDriver for
 * WebKitGTK's MiniBrowser, which Playwright cannot launch. It lives beside e2e/browsers.ts,
 * not in e2e/bench, so the install matrix does not reach into the benchmark. A bench page
 * exposes `window.bench[method](arg)`; `call` runs one of those and returns its JSON result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium, firefox, webkit, type Browser, type Page } from '@playwright/test';
import { chromiumArgs } from './browsers.js';
import type { BrowserName, FoundBrowser } from '../scripts/browsers/find.js';

export interface BenchBrowser {
  readonly name: BrowserName;
  /** e.g. "Chromium 156.0.7700.0". */
  version: string;
  /** How it was launched, in words. */
  readonly via: string;
  readonly flags: string[];
  readonly env: Record<string, string>;
  readonly headless: boolean;
  /** Opens `url` in the (one) tab and waits for `window.benchReady`. */
  goto(url: string, timeoutMs?: number): Promise<void>;
  /** `await window.bench[method](arg)` in the page. */
  call<T>(method: string, arg: unknown, timeoutMs: number): Promise<T>;
  /** Page errors and console errors seen so far (drained). */
  drainLogs(): string[];
  close(): Promise<void>;
}

/** Chromium flags the benchmark adds to the tests' (e2e/browsers.ts): immediate memory measurement, no throttling. */
export const benchChromiumArgs = [
  '--enable-blink-features=ForceEagerMeasureMemory',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]);
}

/** Result envelope the page-side wrapper returns, so errors keep their message and stack. */
type Envelope<T> = { ok: true; value: T } | { ok: false; error: string };

class PlaywrightBrowser implements BenchBrowser {
  version = '';
  private logs: string[] = [];
  private page!: Page;

  constructor(
    readonly name: BrowserName,
    readonly via: string,
    readonly flags: string[],
    readonly env: Record<string, string>,
    readonly headless: boolean,
    private readonly browser: Browser,
  ) {}

  async init(): Promise<this> {
    this.version = this.browser.version();
    const context = await this.browser.newContext({ viewport: { width: 1000, height: 700 } });
    this.page = await context.newPage();
    this.page.on('pageerror', (e) => this.logs.push(`pageerror: ${e.message}`));
    this.page.on('console', (m) => {
      if (m.type() === 'error') this.logs.push(`console.error: ${m.text()}`);
    });
    return this;
  }

  async goto(url: string, timeoutMs = 60_000): Promise<void> {
    await this.page.goto(url, { timeout: timeoutMs, waitUntil: 'load' });
    await this.page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true, undefined, { timeout: timeoutMs });
  }

  async call<T>(method: string, arg: unknown, timeoutMs: number): Promise<T> {
    const run = this.page.evaluate(
      async ([m, a]) => {
        const bench = (window as unknown as { bench: Record<string, (x: unknown) => Promise<unknown>> }).bench;
        try {
          return { ok: true, value: await bench[m as string](a) };
        } catch (e) {
          return { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) };
        }
      },
      [method, arg] as const,
    ) as Promise<Envelope<T>>;
    const r = await withTimeout(run, timeoutMs, `${this.name} ${method}`);
    if (!r.ok) throw new Error(`${this.name} ${method}: ${r.error}`);
    return r.value;
  }

  drainLogs(): string[] {
    const l = this.logs;
    this.logs = [];
    return l;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}

/**
 * WebKitGTK's MiniBrowser over W3C WebDriver: spawns `WebKitWebDriver` (under
 * `xvfb-run` without a display), with JSC_useSharedArrayBuffer=1 so that a
 * cross-origin-isolated page gets SharedArrayBuffer and so wasm threads.
 */
class WebDriverBrowser implements BenchBrowser {
  readonly name = 'webkit' as const;
  version = '';
  readonly headless = false;
  private base = '';
  private session = '';
  private proc: ChildProcess | null = null;
  private output: string[] = [];

  constructor(
    private readonly found: FoundBrowser,
    readonly via: string,
    readonly flags: string[],
    readonly env: Record<string, string>,
  ) {}

  async init(): Promise<this> {
    const wd = this.found.webdriver!;
    const port = await freePort();
    const [cmd, args] = wd.xvfbRun ? [wd.xvfbRun, ['-a', '-s', '-screen 0 1280x1024x24', wd.driver, `--port=${port}`]] : [wd.driver, [`--port=${port}`]];
    this.proc = spawn(cmd, args, { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (d: Buffer) => {
      this.output.push(d.toString());
      if (this.output.length > 200) this.output.shift();
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    this.base = `http://127.0.0.1:${port}`;
    const end = Date.now() + 20_000;
    for (;;) {
      try {
        const s = (await (await fetch(`${this.base}/status`)).json()) as { value?: { ready?: boolean } };
        if (s.value?.ready !== false) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > end) throw new Error(`WebKitWebDriver did not start: ${this.output.join('').slice(-2000)}`);
      await sleep(150);
    }
    const created = await this.request<{ sessionId: string; capabilities: Record<string, unknown> }>('POST', '/session', {
      capabilities: {
        alwaysMatch: {
          'webkitgtk:browserOptions': { binary: wd.miniBrowser, args: ['--automation', ...this.flags] },
        },
      },
    });
    this.session = created.sessionId;
    this.version = String(created.capabilities.browserVersion ?? '');
    await this.request('POST', `/session/${this.session}/timeouts`, { script: 600_000, pageLoad: 120_000 });
    return this;
  }

  private async request<T>(method: string, path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    const res = await withTimeout(
      fetch(`${this.base}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }),
      timeoutMs,
      `WebDriver ${method} ${path}`,
    );
    const json = (await res.json()) as { value: T & { error?: string; message?: string } };
    if (!res.ok || (json.value && typeof json.value === 'object' && 'error' in json.value && json.value.error)) {
      throw new Error(`WebDriver ${method} ${path}: ${res.status} ${json.value?.error ?? ''} ${json.value?.message ?? ''}`);
    }
    return json.value;
  }

  async goto(url: string, timeoutMs = 60_000): Promise<void> {
    await this.request('POST', `/session/${this.session}/url`, { url }, timeoutMs);
    const end = Date.now() + timeoutMs;
    for (;;) {
      const ready = await this.request<boolean>('POST', `/session/${this.session}/execute/sync`, { script: 'return window.benchReady === true', args: [] });
      if (ready) return;
      if (Date.now() > end) throw new Error(`webkit: ${url} not ready in ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  async call<T>(method: string, arg: unknown, timeoutMs: number): Promise<T> {
    const script = `const done = arguments[arguments.length - 1];
      window.bench[arguments[0]](arguments[1]).then(
        (v) => done({ ok: true, value: v }),
        (e) => done({ ok: false, error: e instanceof Error ? e.name + ': ' + e.message + '\\n' + (e.stack || '') : String(e) }));`;
    const r = await this.request<Envelope<T>>('POST', `/session/${this.session}/execute/async`, { script, args: [method, arg] }, timeoutMs);
    if (!r.ok) throw new Error(`webkit ${method}: ${r.error}`);
    return r.value;
  }

  drainLogs(): string[] {
    return [];
  }

  async close(): Promise<void> {
    if (this.session) await this.request('DELETE', `/session/${this.session}`, undefined, 15_000).catch(() => undefined);
    const pid = this.proc?.pid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGTERM'); // the process group we started: xvfb-run, Xvfb, the driver, MiniBrowser
      } catch {
        // already gone
      }
    }
  }
}

export interface LaunchOptions {
  /** Firefox headed (under the given X display) for WebGL, which headless Firefox lacks. */
  display?: string;
}

export async function launch(found: FoundBrowser, options: LaunchOptions = {}): Promise<BenchBrowser> {
  if (!found.found) throw new Error(`${found.name} not found: ${found.note}`);
  switch (found.name) {
    case 'chromium': {
      const flags = [...chromiumArgs, ...benchChromiumArgs];
      const b = await chromium.launch({ executablePath: found.via === 'system-playwright' ? found.executablePath : undefined, args: flags, headless: true });
      return new PlaywrightBrowser('chromium', `${found.note} (Playwright, headless)`, flags, {}, true, b).init();
    }
    case 'firefox': {
      const headless = !options.display;
      const env: Record<string, string> = options.display ? { DISPLAY: options.display } : {};
      const b =
        found.via === 'system-playwright'
          ? await firefox.launch({ channel: 'moz-firefox', executablePath: found.executablePath, headless, env: { ...process.env, ...env } as Record<string, string> })
          : await firefox.launch({ headless, env: { ...process.env, ...env } as Record<string, string> });
      return new PlaywrightBrowser('firefox', `${found.note} (${headless ? 'headless' : `headed on Xvfb ${options.display}`})`, [], env, headless, b).init();
    }
    case 'webkit': {
      if (found.via === 'playwright') {
        const b = await webkit.launch({ headless: true });
        return new PlaywrightBrowser('webkit', `${found.note} (Playwright, headless)`, [], {}, true, b).init();
      }
      const env = { JSC_useSharedArrayBuffer: '1' };
      return new WebDriverBrowser(found, found.note, [], env).init();
    }
  }
}

/** An Xvfb server of our own (for headed Firefox), or null when Xvfb is not installed. */
export async function startXvfb(): Promise<{ display: string; stop(): void } | null> {
  const { existsSync } = await import('node:fs');
  if (!existsSync('/usr/bin/Xvfb')) return null;
  for (let n = 90; n < 110; n++) {
    if (existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawn('/usr/bin/Xvfb', [`:${n}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: 'ignore', detached: true });
    await sleep(400);
    if (proc.exitCode === null && existsSync(`/tmp/.X11-unix/X${n}`)) {
      return {
        display: `:${n}`,
        stop: () => {
          try {
            process.kill(proc.pid!, 'SIGTERM');
          } catch {
            // gone
          }
        },
      };
    }
  }
  return null;
}
