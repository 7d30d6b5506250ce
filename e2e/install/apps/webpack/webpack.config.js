// Exactly the README's webpack config (README.md, "Install" → webpack): entry and output, nothing else.
import { fileURLToPath } from 'node:url';

export default {
  mode: 'production',
  entry: './main.js',
  output: { path: fileURLToPath(new URL('./dist', import.meta.url)), clean: true },
};
