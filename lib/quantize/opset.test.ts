import { describe, expect, it } from 'vitest';
import { makeModel, makeNode, makeValueInfo } from '../onnx/build.js';
import { opsetVersion } from '../onnx/index.js';
import { ensureOpset } from './opset.js';
import { clone, floatTensor, maxAbsDiff, randomArray, runModel, seededRandom } from './testing.js';

describe('opset upgrade', () => {
  it('rewrites Clip, Slice, Squeeze and Softmax from opset 9 to 13 without changing results', async () => {
    const model = makeModel({
      opset: 9,
      irVersion: 4,
      inputs: [makeValueInfo('x', 'float32', [2, 3, 4])],
      outputs: [makeValueInfo('y', 'float32'), makeValueInfo('z', 'float32')],
      nodes: [
        makeNode('Clip', ['x'], ['c'], { min: { float: -0.5 }, max: { float: 0.5 } }),
        makeNode('Softmax', ['c'], ['s'], { axis: 1 }),
        makeNode('Slice', ['s'], ['sl'], { starts: [0], ends: [1], axes: [0] }),
        makeNode('Squeeze', ['sl'], ['y'], { axes: [0] }),
        makeNode('Softmax', ['x'], ['z'], { axis: -1 }),
      ],
    });
    const feeds = [{ x: floatTensor(randomArray(24, seededRandom(3), 2), [2, 3, 4]) }];
    const before = await runModel(model, feeds);
    const up = clone(model);
    expect(ensureOpset(up, 13)).toEqual({ from: 9, to: 13 });
    expect(opsetVersion(up)).toBe(13);
    const after = await runModel(up, feeds);
    expect(maxAbsDiff(before[0], after[0])).toBeLessThan(1e-6);
  });

  it('refuses ops whose meaning changed and that it cannot convert', () => {
    const model = makeModel({
      opset: 9,
      inputs: [makeValueInfo('x', 'float32', [1, 1, 2, 2]), makeValueInfo('s', 'float32', [4])],
      outputs: [makeValueInfo('y', 'float32')],
      nodes: [makeNode('Upsample', ['x', 's'], ['y'])],
    });
    expect(() => ensureOpset(model, 11)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_OP', details: expect.objectContaining({ op: 'Upsample' }) }));
  });
});
