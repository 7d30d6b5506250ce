import { describe, expect, it } from 'vitest';
import * as errors from './index.js';
import { InputShapeError, PageInferError, WorkerCrashedError, reviveError, serializeError, toAbortError, AbortError } from './index.js';

describe('errors', () => {
  it('every error class the module exports crosses the worker boundary as itself, with a code of its own', () => {
    const exported = Object.values(errors).filter((v): v is typeof PageInferError => typeof v === 'function' && v.prototype instanceof PageInferError);
    expect(exported.length).toBeGreaterThan(20);
    for (const Cls of exported) {
      const revived = reviveError(serializeError(new Cls('m', { k: 1 })));
      expect(revived, Cls.name).toBeInstanceOf(Cls);
      expect(revived.code).toBe(Cls.code);
    }
    expect(new Set(exported.map((c) => c.code)).size).toBe(exported.length);
  });

  it('each class has its own stable code and name', () => {
    const e = new InputShapeError('bad', { input: 'x' });
    expect(e).toBeInstanceOf(PageInferError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('INPUT_SHAPE');
    expect(e.name).toBe('InputShapeError');
    expect(InputShapeError.code).toBe('INPUT_SHAPE');
  });

  it('keeps its name when a bundler renames the class', () => {
    const Renamed = class h extends InputShapeError {};
    expect(new Renamed('bad').name).toBe('InputShapeError');
  });

  it('round-trips through structured clone as the same class with details', () => {
    const original = new WorkerCrashedError('gone', { reason: 'oom' });
    const revived = reviveError(structuredClone(serializeError(original)));
    expect(revived).toBeInstanceOf(WorkerCrashedError);
    expect(revived.code).toBe('WORKER_CRASHED');
    expect(revived.details).toEqual({ reason: 'oom' });
    expect(revived.message).toBe('gone');
  });

  it('keeps the name and message of foreign errors', () => {
    const revived = reviveError(serializeError(new RangeError('out of range')));
    expect(revived).toBeInstanceOf(PageInferError);
    expect(revived.name).toBe('RangeError');
    expect(revived.message).toBe('out of range');
  });

  it('wraps an abort reason as AbortError', () => {
    const e = toAbortError(new DOMException('stop', 'AbortError'));
    expect(e).toBeInstanceOf(AbortError);
    expect(e.code).toBe('ABORTED');
    expect(e.message).toBe('stop');
  });
});
