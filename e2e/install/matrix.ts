/**
 * The install matrix: the package as `npm pack` makes it, installed into fresh
 * apps (templates in ./apps) the way a user sets them up, each served the way
 * its bundler serves it, each opened in real browsers. See install.spec.ts.
 */
import { exec as execCb, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserName } from '../../scripts/browsers/find.js';
import { freePort } from '../drivers.js';
import { serveStatic } from './static-server.js';

const exec = promisify(execCb);
const repo = new URL('../..', import.meta.url).pathname;
const templates = new URL('./apps', import.meta.url).pathname;
const fixtures = join(repo, 'e2e/fixtures/generated');

export type AppName = 'vite' | 'webpack' | 'plain';

/** What each app installs besides the tarball: the versions the README's install section was tested with. */
const devDependencies: Record<AppName, Record<string, string>> = {
  vite: { vite: '8.3.8' },
  webpack: { webpack: '5.113.0', 'webpack-cli': '7.3.1' },
  plain: {},
};

export interface Prepared {
  dir: string;
  tarball: string;
  apps: Record<AppName, string>;
  /** Seconds each step took, for the report. */
  timings: Record<string, number>;
}

async function timed<T>(timings: Record<string, number>, step: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    timings[step] = Math.round((performance.now() - t0) / 100) / 10;
  }
}

/** Packs the project (its prepack builds dist/) and installs the tarball into one fresh app per bundler. */
export async function prepare(): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), 'pageinfer-install-'));
  const timings: Record<string, number> = {};
  // PAGEINFER_INSTALL_TARBALL: run the matrix on another tarball (a release, an older commit) instead.
  let tarball = process.env.PAGEINFER_INSTALL_TARBALL ?? '';
  if (!tarball) {
    const packed = await timed(timings, 'npm pack', () => exec(`npm pack --pack-destination ${dir} --silent`, { cwd: repo, maxBuffer: 64 << 20 }));
    tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
  }
  const apps = {} as Record<AppName, string>;
  await timed(timings, 'npm install (3 apps, in parallel)', () =>
    Promise.all(
      (Object.keys(devDependencies) as AppName[]).map(async (name) => {
        const app = join(dir, name);
        cpSync(join(templates, name), app, { recursive: true });
        copyFileSync(join(templates, 'shared/main.js'), join(app, 'main.js'));
        const served = name === 'vite' ? join(app, 'public') : app; // webpack: copied into dist/ after the build
        mkdirSync(served, { recursive: true });
        for (const f of ['mlp_f32.onnx', 'mlp_f32.json']) copyFileSync(join(fixtures, f), join(served, f));
        const pkg = { name: `pageinfer-${name}-app`, private: true, type: 'module', dependencies: { pageinfer: `file:${tarball}` }, devDependencies: devDependencies[name] };
        writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
        await exec('npm install --no-audit --no-fund --prefer-offline --loglevel=error', { cwd: app, maxBuffer: 64 << 20 });
        apps[name] = app;
      }),
    ),
  );
  return { dir, tarball, apps, timings };
}

export interface Served {
  port: number;
  stop(): Promise<void>;
}

export interface Cell {
  name: string;
  app: AppName;
  browsers: BrowserName[];
  /** Served with COOP/COEP, so the page must be cross-origin isolated. */
  isolated: boolean;
  /** Builds (once per cell) and starts a fresh server; called again for each browser. */
  serve(app: string): Promise<Served>;
  /** Checks of the build output, where there is one. */
  output?: (app: string) => string[];
}

/** Starts `vite` (dev or preview) with a fresh dependency cache: every browser gets a first start. */
function vite(command: 'dev' | 'preview', config?: string): (app: string) => Promise<Served> {
  return async (app) => {
    if (command === 'dev') rmSync(join(app, 'node_modules/.vite'), { recursive: true, force: true });
    const port = await freePort();
    const args = [join(app, 'node_modules/vite/bin/vite.js'), ...(command === 'preview' ? ['preview'] : []), '--host', '127.0.0.1', '--port', String(port), '--strictPort'];
    if (config) args.push('--config', config);
    return startProcess(app, process.execPath, args, port);
  };
}

async function startProcess(cwd: string, cmd: string, args: string[], port: number): Promise<Served> {
  const output: string[] = [];
  const child: ChildProcess = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NO_COLOR: '1' } });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // gone
    }
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${cmd} ${args.join(' ')} exited ${child.exitCode}: ${output.join('')}`);
    if (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false)) return { port, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`no server on ${port} after 30 s: ${output.join('')}`);
}

let viteBuilt = false;
let webpackBuilt = false;

export const cells: Cell[] = [
  { name: 'Vite dev server, README config', app: 'vite', browsers: ['chromium', 'firefox', 'webkit'], isolated: true, serve: vite('dev') },
  { name: 'Vite dev server, pageinfer also excluded from optimizeDeps', app: 'vite', browsers: ['chromium', 'firefox'], isolated: true, serve: vite('dev', 'vite.exclude.config.js') },
  { name: 'Vite dev server, pageinfer/vite plugin only', app: 'vite', browsers: ['chromium', 'firefox'], isolated: true, serve: vite('dev', 'vite.plugin.config.js') },
  {
    name: 'vite build + vite preview, README config',
    app: 'vite',
    browsers: ['chromium', 'firefox'],
    isolated: true,
    serve: async (app) => {
      if (!viteBuilt) await exec(`${process.execPath} node_modules/vite/bin/vite.js build --logLevel warn`, { cwd: app, maxBuffer: 64 << 20 });
      viteBuilt = true;
      return vite('preview')(app);
    },
    output: (app) => {
      const assets = readdirSync(join(app, 'dist/assets'));
      const problems: string[] = [];
      if (!assets.some((f) => /^ort-wasm-simd-threaded.*\.wasm$/.test(f))) problems.push(`no ORT .wasm in dist/assets: ${assets.join(', ')}`);
      const page = assets.filter((f) => /^index-.*\.js$/.test(f)).map((f) => readFileSync(join(app, 'dist/assets', f), 'utf8'));
      if (page.join('').includes('InferenceSession')) problems.push('the page bundle carries onnxruntime-web (only the worker should)');
      return problems;
    },
  },
  {
    name: 'webpack 5 production build, README config',
    app: 'webpack',
    browsers: ['chromium', 'firefox'],
    isolated: true,
    serve: async (app) => {
      if (!webpackBuilt) {
        const built = await exec('node node_modules/webpack-cli/bin/cli.js', { cwd: app, maxBuffer: 64 << 20 });
        writeFileSync(join(app, 'webpack-output.txt'), built.stdout + built.stderr);
        for (const f of ['index.html', 'mlp_f32.onnx', 'mlp_f32.json']) copyFileSync(join(app, f), join(app, 'dist', f));
      }
      webpackBuilt = true;
      return serveStatic(join(app, 'dist'), true);
    },
    output: (app) => {
      // webpack's size hints are about ORT's 14-26 MB .wasm files, not a problem with the build.
      const log = readFileSync(join(app, 'webpack-output.txt'), 'utf8');
      const problems = log.split(/\n(?=WARNING|ERROR)/).filter((b) => /^(WARNING|ERROR)/.test(b) && !/(asset|entrypoint) size limit|performance recommendations/.test(b.split('\n')[0]));
      return problems.map((p) => `webpack: ${p}`);
    },
  },
  {
    name: 'no bundler: <script type="module"> + import map, static server',
    app: 'plain',
    browsers: ['chromium', 'firefox', 'webkit'],
    isolated: true,
    serve: (app) => serveStatic(app, true),
  },
  {
    name: 'no bundler, no COOP/COEP (1 wasm thread, THREADS_UNAVAILABLE)',
    app: 'plain',
    browsers: ['chromium', 'firefox'],
    isolated: false,
    serve: (app) => serveStatic(app, false),
  },
];

export function cleanUp(prepared: Prepared | undefined): void {
  if (prepared && existsSync(prepared.dir) && !process.env.PAGEINFER_KEEP_INSTALL) rmSync(prepared.dir, { recursive: true, force: true });
}
