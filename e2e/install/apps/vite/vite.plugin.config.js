// The optional plugin instead of settings (README.md, "Install" → Vite).
import { defineConfig } from 'vite';
import { pageinfer } from 'pageinfer/vite';

export default defineConfig({ plugins: [pageinfer()] });
