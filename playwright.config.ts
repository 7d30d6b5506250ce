import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './e2e/browsers.js';

const port = Number(process.env.PAGEINFER_PORT ?? 5199);

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
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `PAGEINFER_TEST=1 npx vite --port ${port} --logLevel warn`,
    url: `http://127.0.0.1:${port}/e2e/pages/harness.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
