// The README's Vite config with pageinfer also kept out of pre-bundling (common advice for libraries that ship workers).
import { defineConfig } from 'vite';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  optimizeDeps: { exclude: ['onnxruntime-web', 'pageinfer'] },
  worker: { format: 'es' },
});
