/**
 * The install matrix: `npm pack`, the tarball installed into fresh apps (Vite dev,
 * Vite dev with pageinfer excluded from pre-bundling, the pageinfer/vite plugin,
 * vite build + preview, webpack 5, no bundler with an import map, no COOP/COEP),
 * each loaded on its first start in Chromium, Firefox ESR and (Vite dev, no
 * bundler) WebKitGTK. Each cell loads the mlp_f32 fixture, checks the output
 * against its reference, and checks the network log: no CommonJS module reached
 * the browser, ORT's wasm came from the app's own server.
 * Runs once, from the chromium project; it drives every browser itself.
 */
import { expect, test } from '@playwright/test';
import { findChromium, findFirefox, findWebKit, type BrowserName, type FoundBrowser } from '../scripts/browsers/find.js';
import { launch, type BenchBrowser } from './drivers.js';
import { cells, cleanUp, prepare, type Prepared } from './install/matrix.js';
import { startProxy } from './install/proxy.js';

interface AppResult {
  backend: string;
  threads: number;
  maxAbsDiff: number;
  atol: number;
  warnings: string[];
  crossOriginIsolated: boolean;
  ms: number;
}
type Envelope = { ok: true; value: AppResult } | { ok: false; error: { name?: string; code?: string; message?: string; details?: unknown } };

// Not serial: a failed cell must not hide the cells after it (a failure restarts the worker, which packs and installs again).
test.describe.configure({ mode: 'default' });

let prepared: Prepared | undefined;
const browsers = new Map<BrowserName, Promise<BenchBrowser>>();
const finders: Record<BrowserName, () => FoundBrowser> = { chromium: findChromium, firefox: findFirefox, webkit: findWebKit };
const rows: string[] = [];

test.beforeAll(async () => {
  test.setTimeout(420_000);
  prepared = await prepare();
});

test.afterAll(async () => {
  for (const b of browsers.values()) await (await b.catch(() => null))?.close();
  console.log(`\ninstall matrix (${prepared?.tarball.split('/').pop() ?? 'not packed'}; ${Object.entries(prepared?.timings ?? {}).map(([k, v]) => `${k} ${v} s`).join(', ')})`);
  console.log(['cell | browser | result | backend | threads | first result (page) | load to result (wall) | JS files | CommonJS | warnings', ...rows].join('\n'));
  cleanUp(prepared);
});

for (const cell of cells) {
  for (const name of cell.browsers) {
    test(`${cell.name} — ${name}`, async () => {
      test.setTimeout(180_000);
      const found = finders[name]();
      if (!found.found) {
        rows.push(`${cell.name} | ${name} | not run: ${found.note}`);
        // CI installs every browser (.ci/run): there, a missing one is a failure, not a skip.
        expect(process.env.CI, `${name} is not installed: ${found.note}`).toBeFalsy();
        test.skip(true, `${name} not installed: ${found.note}`);
      }
      if (!browsers.has(name)) browsers.set(name, launch(found));
      const browser = await browsers.get(name)!;
      browser.drainLogs();
      const app = prepared!.apps[cell.app];
      const server = await cell.serve(app);
      const proxy = await startProxy(server.port);
      const t0 = performance.now();
      let envelope: Envelope | undefined;
      try {
        await browser.goto(`${proxy.url}/`, 120_000);
        envelope = await browser.call<Envelope>('result', null, 120_000);
      } finally {
        await proxy.close();
        await server.stop();
      }
      const wall = Math.round(performance.now() - t0);
      const js = proxy.log.filter((r) => r.commonJs !== undefined);
      const commonJs = js.filter((r) => r.commonJs);
      const logs = browser.drainLogs();
      rows.push(
        envelope.ok
          ? `${cell.name} | ${name} | ok | ${envelope.value.backend} | ${envelope.value.threads} | ${envelope.value.ms} ms | ${wall} ms | ${js.length} | ${commonJs.length} | ${envelope.value.warnings.join(', ') || '-'}`
          : `${cell.name} | ${name} | FAILED ${envelope.error.code ?? envelope.error.name} | - | - | - | ${wall} ms | ${js.length} | ${commonJs.length}`,
      );
      expect(envelope.ok ? null : envelope.error, `the app failed; browser logs: ${logs.join('\n')}`).toBeNull();
      if (!envelope.ok) return;
      const r = envelope.value;
      expect(r.backend).toBe('wasm');
      expect(r.maxAbsDiff).toBeLessThanOrEqual(r.atol);
      expect(r.crossOriginIsolated).toBe(cell.isolated);
      if (cell.isolated) expect(r.warnings).not.toContain('THREADS_UNAVAILABLE');
      else {
        expect(r.threads).toBe(1);
        expect(r.warnings).toContain('THREADS_UNAVAILABLE');
      }
      expect(commonJs.map((c) => c.path), 'CommonJS modules served to the browser').toEqual([]);
      expect(js.filter((r) => r.status >= 400).map((r) => `${r.status} ${r.path}`)).toEqual([]);
      // ORT's wasm came from the app's own server (the browser has no other to reach).
      expect(proxy.log.some((r) => /\.wasm(\?|$)/.test(r.path) && r.status === 200)).toBe(true);
      expect(cell.output?.(app) ?? []).toEqual([]);
    });
  }
}
