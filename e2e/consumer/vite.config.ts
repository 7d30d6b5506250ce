import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { isolationHeaders } from '../../vite.config.js';

/** Builds e2e/consumer against the package's built output (dist/), the way an app that installed pageinfer would. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: { alias: { pageinfer: fileURLToPath(new URL('../../dist/index.js', import.meta.url)) } },
  worker: { format: 'es' as const },
  build: { target: 'es2022', outDir: process.env.CONSUMER_OUT ?? 'dist', emptyOutDir: true },
  preview: { headers: isolationHeaders, host: '127.0.0.1', strictPort: true },
});
