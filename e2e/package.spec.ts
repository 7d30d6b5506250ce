/**
 * The published package, as an app gets it: dist/ built by `npm run build`,
 * bundled by Vite for production in an app of its own, served with COOP/COEP.
 * Catches what dev-mode tests cannot: the worker and ORT's .wasm files must be
 * found by a bundler in the built output, with no CDN.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { fixture, maxAbsDiff } from './helpers.js';

const root = new URL('..', import.meta.url).pathname;
let port = 0;
let preview: ChildProcess | undefined;
let out = '';

test.beforeAll(async () => {
  test.setTimeout(180_000);
  port = await freePort();
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
  out = mkdtempSync(join(tmpdir(), 'pageinfer-consumer-'));
  execFileSync('npx', ['vite', 'build', '--config', 'e2e/consumer/vite.config.ts', '--logLevel', 'warn'], { cwd: root, env: { ...process.env, CONSUMER_OUT: out }, stdio: 'pipe' });
  for (const f of ['mlp_f32.onnx', 'mlp_f32.json']) copyFileSync(join(root, 'e2e/fixtures/generated', f), join(out, f));
  preview = spawn('npx', ['vite', 'preview', '--config', 'e2e/consumer/vite.config.ts', '--port', String(port)], {
    cwd: root,
    env: { ...process.env, CONSUMER_OUT: out },
    stdio: 'ignore',
    detached: true, // its own process group, so afterAll can stop npx and vite together
  });
  for (let i = 0; i < 300; i++) {
    if (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('vite preview did not start');
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: p } = server.address() as AddressInfo;
      server.close(() => resolve(p));
    });
  });
}

test.afterAll(() => {
  try {
    if (preview?.pid) process.kill(-preview.pid);
  } catch {
    // already gone
  }
});

test('the built package works in a production Vite build of an app: worker and wasm files bundled, no CDN', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`http://127.0.0.1:${port}/`);
  await expect(page.locator('#out')).toContainText('backend', { timeout: 60_000 });
  const result = JSON.parse((await page.locator('#out').textContent())!) as { backend: string; threads: number; y: number[] };
  expect(result.backend).toBe('wasm');
  expect(result.threads).toBeGreaterThanOrEqual(1);
  const f = fixture('mlp_f32');
  expect(maxAbsDiff(result.y, f.example.expected.y.data)).toBeLessThanOrEqual(f.atol);
  // Every request stayed on this origin: the wasm came from the app's own build output.
  expect(requests.every((u) => u.startsWith(`http://127.0.0.1:${port}/`))).toBe(true);
  const assets = readdirSync(join(out, 'assets'));
  expect(assets.some((f) => /^ort-wasm-simd-threaded.*\.wasm$/.test(f))).toBe(true);
  // The main-thread bundle does not carry onnxruntime-web (only the worker loads it).
  const mainJs = assets.filter((f) => f.startsWith('index-') && f.endsWith('.js')).map((f) => readFileSync(join(out, 'assets', f), 'utf8'));
  expect(mainJs.join('')).not.toContain('InferenceSession');
  expect(existsSync(join(root, 'dist/index.d.ts'))).toBe(true);
});
