import { readFileSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import type { JsonTensor } from './pages/harness.js';

export interface Fixture {
  name: string;
  format: 'f32' | 'qdq' | 'dynamic' | 'qlinear';
  quantized: boolean;
  inputs: Array<{ name: string; type: string; dims: Array<number | string | null> }>;
  example: { feeds: Record<string, JsonTensor>; expected: Record<string, JsonTensor>; float: Record<string, JsonTensor> };
  atol: number;
  floatAtol: number;
}

export const fixtureNames = ['mlp_f32', 'mlp_qdq', 'mlp_dynamic', 'mlp_qlinear', 'conv_int8'] as const;

export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`./fixtures/generated/${name}.json`, import.meta.url), 'utf8')) as Fixture;
}

export const fixtureUrl = (name: string) => `/e2e/fixtures/generated/${name}.onnx`;

export async function openHarness(page: Page, { isolated = true } = {}): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/e2e/pages/harness.html${isolated ? '' : '?coi=0'}`);
  await page.waitForFunction(() => window.harnessReady === true);
  expect(errors).toEqual([]);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Every output equals the reference within `atol`, with the same dims. */
export function expectClose(actual: Record<string, JsonTensor>, expected: Record<string, JsonTensor>, atol: number): number {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  let worst = 0;
  for (const [name, want] of Object.entries(expected)) {
    expect(actual[name].dims, `dims of ${name}`).toEqual(want.dims);
    worst = Math.max(worst, maxAbsDiff(actual[name].data, want.data));
  }
  expect(worst).toBeLessThanOrEqual(atol);
  return worst;
}
