import { execFileSync } from 'node:child_process';

/** The fixture models are generated (deterministically), not committed. */
export default function globalSetup(): void {
  execFileSync('npx', ['tsx', 'scripts/fixtures/generate.ts'], { stdio: 'inherit' });
}
