import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ortVersion, version } from './version.js';

const json = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string };

describe('version', () => {
  it('matches package.json and the installed onnxruntime-web', () => {
    expect(version).toBe(json('../package.json').version);
    expect(ortVersion).toBe(json('../node_modules/onnxruntime-web/package.json').version);
  });
});
