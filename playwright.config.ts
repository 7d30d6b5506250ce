import { defineConfig, type Project } from '@playwright/test';
import { chromiumArgs, chromiumPath, firefoxPath } from './e2e/browsers.js';

const port = Number(process.env.PAGEINFER_PORT ?? 5199);

/**
 * Every suite runs in Chromium. The engine, scheduler and cache suites (worker protocol, typed errors
 * across the boundary, crash detection, shared wasm, pipelining, VAD streams, per-op profiles, the model cache and
 * its tabs) also run in Firefox ESR, through Playwright's moz-firefox channel, when it is installed (.ci/run installs it).
 */
const projects: Project[] = [{ name: 'chromium', use: { browserName: 'chromium', launchOptions: { executablePath: chromiumPath, args: chromiumArgs } } }];
if (firefoxPath) {
  projects.push({
    name: 'firefox',
    testMatch: ['engine.spec.ts', 'scheduler.spec.ts', 'vad.spec.ts', 'profile.spec.ts', 'cache.spec.ts', 'cache-tabs.spec.ts', 'faults.spec.ts', 'load-timeline.spec.ts'],
    use: {
      browserName: 'firefox',
      channel: 'moz-firefox',
      // navigator.storage.persist() answers without a prompt (what a user granting it does), for the cache suite.
      launchOptions: { executablePath: firefoxPath, firefoxUserPrefs: { 'dom.storageManager.prompt.testing': true, 'dom.storageManager.prompt.testing.allow': true } },
    },
  });
} else {
  console.warn('[playwright] Firefox ESR not found (/usr/bin/firefox-esr): the Firefox project does not run');
}

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  testIgnore: '**/bench/**',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  globalSetup: './e2e/global-setup.ts',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
  },
  projects,
  webServer: {
    command: `PAGEINFER_TEST=1 npx vite --port ${port} --logLevel warn`,
    url: `http://127.0.0.1:${port}/e2e/pages/harness.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
