/**
 * Trains the MNIST CNN (and optionally the MLP) reproducibly and writes float
 * ONNX models. Usage:
 *   npx tsx scripts/mnist/train.ts [--out scripts/mnist/mnist-cnn.onnx] [--mlp path.onnx]
 * Same seed, same data split, same float arithmetic → byte-identical model.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodeModel } from '../../lib/onnx/index.js';
import { loadSplit } from './data.js';
import { accuracy, cnn, mlp, train } from './nets.js';

export const CNN_RECIPE = { seed: 7, epochs: 3, batch: 32, lr: 0.02 };
export const MLP_RECIPE = { seed: 7, epochs: 3, batch: 32, lr: 0.05 };

export function trainCnn(log?: (line: string) => void) {
  const { train: data, test } = loadSplit();
  const net = cnn(CNN_RECIPE.seed);
  train(net, data, { ...CNN_RECIPE, log });
  return { model: net.toOnnx(), testAccuracy: accuracy(net, test) };
}

export function trainMlp(log?: (line: string) => void, epochs = MLP_RECIPE.epochs) {
  const { train: data, test } = loadSplit();
  const net = mlp(MLP_RECIPE.seed);
  train(net, data, { ...MLP_RECIPE, epochs, log });
  return { model: net.toOnnx(), testAccuracy: accuracy(net, test) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'scripts/mnist/mnist-cnn.onnx' }, mlp: { type: 'string' } } });
  const log = (line: string) => console.error(line);
  const t0 = Date.now();
  const c = trainCnn(log);
  writeFileSync(values.out!, encodeModel(c.model));
  console.error(`CNN: test accuracy ${(c.testAccuracy * 100).toFixed(2)} % in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${values.out}`);
  if (values.mlp) {
    const m = trainMlp(log);
    writeFileSync(values.mlp, encodeModel(m.model));
    console.error(`MLP: test accuracy ${(m.testAccuracy * 100).toFixed(2)} % → ${values.mlp}`);
  }
}
