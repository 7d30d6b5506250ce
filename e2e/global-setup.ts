import { execFileSync } from 'node:child_process';

/**
 * Test models are built, not committed: the fixtures (deterministic, ~1 s) and
 * the int8 demo models (quantized from the npm packages' float models; skipped
 * when up to date).
 */
export default function globalSetup(): void {
  execFileSync('npx', ['tsx', 'scripts/fixtures/generate.ts'], { stdio: 'inherit' });
  execFileSync('npx', ['tsx', 'scripts/models/build.ts'], { stdio: 'inherit' });
}
