import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensor/types.js';
import { channelBytes, channelViews, decode, encode, headerOf, initialSlotBytes } from './run-slots.js';

const views = () => channelViews(new SharedArrayBuffer(channelBytes(initialSlotBytes)));
const header = { sequence: 7, sessionId: 3, computeMs: 1.25, receivedAt: 1.7e12 };

describe('run channel slots', () => {
  it('carries tensors of every numeric type, with their dims and names, through a slot', () => {
    const v = views();
    const tensors: Record<string, Tensor> = {
      image: { type: 'float32', data: new Float32Array([1.5, -2, 3]), dims: [1, 3] },
      ids: { type: 'int64', data: new BigInt64Array([1n, -9007199254740993n]), dims: [2] },
      mask: { type: 'bool', data: new Uint8Array([1, 0, 1]), dims: [3] },
      half: { type: 'float16', data: new Uint16Array([0x3c00]), dims: [1, 1, 1] },
      scalar: { type: 'int8', data: new Int8Array([-5]), dims: [] },
    };
    const names = ['unused', 'scalar', 'half', 'mask', 'ids', 'image'];
    expect(encode(v, 2, header, tensors, names)).toBe(0);
    expect(headerOf(v, 2)).toEqual(header);
    const back = decode(v, 2, names);
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name]!.type).toBe(t.type);
      expect(back[name]!.dims).toEqual(t.dims);
      expect(back[name]!.data).toEqual(t.data);
      expect((back[name]!.data as Float32Array).buffer).toBeInstanceOf(ArrayBuffer); // a copy of its own, not a view of the channel
    }
  });

  it('keeps the slots apart', () => {
    const v = views();
    const a = { x: { type: 'float32' as const, data: new Float32Array(1000).fill(1), dims: [1000] } };
    const b = { x: { type: 'float32' as const, data: new Float32Array(1000).fill(2), dims: [1000] } };
    encode(v, 0, header, a, ['x']);
    encode(v, 1, { ...header, sequence: 8 }, b, ['x']);
    expect((decode(v, 0, ['x']).x!.data as Float32Array)[999]).toBe(1);
    expect((decode(v, 1, ['x']).x!.data as Float32Array)[0]).toBe(2);
    expect(headerOf(v, 1).sequence).toBe(8);
  });

  it('a name that is "__proto__" comes back as an own key', () => {
    const v = views();
    const tensors = JSON.parse('{"__proto__": {"type": "float32", "data": null, "dims": [1]}}') as Record<string, Tensor>;
    tensors['__proto__']!.data = new Float32Array([4]);
    expect(encode(v, 0, header, tensors, ['__proto__'])).toBe(0);
    const back = decode(v, 0, ['__proto__']);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('says what slot size a request too big for it needs, and Infinity for what it can never carry', () => {
    const v = views();
    const big = { x: { type: 'float32' as const, data: new Float32Array(initialSlotBytes / 4), dims: [initialSlotBytes / 4] } };
    const need = encode(v, 0, header, big, ['x']);
    expect(need).toBeGreaterThan(initialSlotBytes);
    expect(need).toBeLessThan(initialSlotBytes + 4096);
    expect(encode(v, 0, header, { s: { type: 'string', data: ['a'], dims: [1] } }, ['s'])).toBe(Infinity);
    expect(encode(v, 0, header, { y: { type: 'float32', data: new Float32Array(1), dims: [1] } }, ['x'])).toBe(Infinity);
    expect(encode(v, 0, header, { x: { type: 'float32', data: new Float32Array(1), dims: [1, 1, 1, 1, 1, 1, 1, 1, 1] } }, ['x'])).toBe(Infinity);
  });

  it('refuses a slot that names a tensor the session does not have', () => {
    const v = views();
    encode(v, 0, header, { x: { type: 'float32', data: new Float32Array(1), dims: [1] } }, ['w', 'x']);
    expect(() => decode(v, 0, ['w'])).toThrow(RangeError);
  });
});
