/** The MNIST CNN and MLP: training loop and ONNX export (opset 13). */
import { makeTensor, type ModelProto } from '../../lib/onnx/index.js';
import { makeModel, makeNode, makeValueInfo } from '../../lib/onnx/build.js';
import type { Sample } from './data.js';
import { Conv3x3, Dense, Param, ReluPool, relu, reluBackward, softmaxCrossEntropy } from './layers.js';
import { seeded } from './random.js';

interface Net {
  params: Param[];
  /** Forward pass; `train` keeps what backward needs. */
  forward(x: Float32Array): Float32Array;
  backward(dLogits: Float32Array): void;
  toOnnx(): ModelProto;
}

/** conv 8 → pool → conv 16 → pool → dense 64 → dense 10; about 52k weights. */
export function cnn(seed: number): Net {
  const rng = seeded(seed);
  const c1 = new Conv3x3('conv1', 1, 8, 28, rng);
  const p1 = new ReluPool(8, 28);
  const c2 = new Conv3x3('conv2', 8, 16, 14, rng);
  const p2 = new ReluPool(16, 14);
  const f1 = new Dense('fc1', 16 * 7 * 7, 64, rng);
  const f2 = new Dense('fc2', 64, 10, rng);
  let h: Float32Array = new Float32Array(0);
  return {
    params: [c1.w, c1.b, c2.w, c2.b, f1.w, f1.b, f2.w, f2.b],
    forward(x) {
      h = relu(f1.forward(p2.forward(c2.forward(p1.forward(c1.forward(x))))));
      return f2.forward(h);
    },
    backward(d) {
      c1.backward(p1.backward(c2.backward(p2.backward(f1.backward(reluBackward(h, f2.backward(d)))))), false);
    },
    toOnnx() {
      const init = (p: Param) => makeTensor(p.name, 'float32', p.dims, p.value);
      return makeModel({
        name: 'mnist_cnn',
        inputs: [makeValueInfo('input', 'float32', ['batch', 1, 28, 28])],
        outputs: [makeValueInfo('logits', 'float32', ['batch', 10])],
        initializers: this.params.map(init),
        nodes: [
          makeNode('Conv', ['input', 'conv1.weight', 'conv1.bias'], ['c1'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'conv1'),
          makeNode('Relu', ['c1'], ['r1'], {}, 'relu1'),
          makeNode('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1'),
          makeNode('Conv', ['p1', 'conv2.weight', 'conv2.bias'], ['c2'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, 'conv2'),
          makeNode('Relu', ['c2'], ['r2'], {}, 'relu2'),
          makeNode('MaxPool', ['r2'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool2'),
          makeNode('Flatten', ['p2'], ['flat'], { axis: 1 }, 'flatten'),
          makeNode('Gemm', ['flat', 'fc1.weight', 'fc1.bias'], ['f1'], { transB: 1 }, 'fc1'),
          makeNode('Relu', ['f1'], ['r3'], {}, 'relu3'),
          makeNode('Gemm', ['r3', 'fc2.weight', 'fc2.bias'], ['logits'], { transB: 1 }, 'fc2'),
        ],
      });
    },
  };
}

/** 784 → hidden → 10, exported as MatMul + Add (weights transposed to [in, out]). */
export function mlp(seed: number, hidden = 128): Net {
  const rng = seeded(seed);
  const f1 = new Dense('fc1', 784, hidden, rng);
  const f2 = new Dense('fc2', hidden, 10, rng);
  let h: Float32Array = new Float32Array(0);
  const transposed = (p: Param) => {
    const [o, i] = p.dims;
    const t = new Float32Array(p.value.length);
    for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = p.value[r * i + c];
    return makeTensor(p.name, 'float32', [i, o], t);
  };
  return {
    params: [f1.w, f1.b, f2.w, f2.b],
    forward(x) {
      h = relu(f1.forward(x));
      return f2.forward(h);
    },
    backward(d) {
      f1.backward(reluBackward(h, f2.backward(d)));
    },
    toOnnx() {
      return makeModel({
        name: 'mnist_mlp',
        inputs: [makeValueInfo('input', 'float32', ['batch', 784])],
        outputs: [makeValueInfo('logits', 'float32', ['batch', 10])],
        initializers: [transposed(f1.w), makeTensor('fc1.bias', 'float32', [hidden], f1.b.value), transposed(f2.w), makeTensor('fc2.bias', 'float32', [10], f2.b.value)],
        nodes: [
          makeNode('MatMul', ['input', 'fc1.weight'], ['m1'], {}, 'fc1'),
          makeNode('Add', ['m1', 'fc1.bias'], ['a1'], {}, 'fc1_bias'),
          makeNode('Relu', ['a1'], ['r1'], {}, 'relu1'),
          makeNode('MatMul', ['r1', 'fc2.weight'], ['m2'], {}, 'fc2'),
          makeNode('Add', ['m2', 'fc2.bias'], ['logits'], {}, 'fc2_bias'),
        ],
      });
    },
  };
}

export interface TrainOptions {
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  log?: (line: string) => void;
}

/** Minibatch SGD with momentum 0.9; the learning rate halves each epoch. */
export function train(net: Net, data: Sample[], opts: TrainOptions): void {
  const rng = seeded(opts.seed + 1);
  const order = data.map((_, i) => i);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    rng.shuffle(order);
    const lr = opts.lr / 2 ** epoch;
    let loss = 0;
    for (let start = 0; start < order.length; start += opts.batch) {
      const end = Math.min(order.length, start + opts.batch);
      for (let k = start; k < end; k++) {
        const s = data[order[k]];
        const r = softmaxCrossEntropy(net.forward(s.pixels), s.label);
        loss += r.loss;
        net.backward(r.grad);
      }
      for (const p of net.params) p.step(lr, 0.9, end - start);
    }
    opts.log?.(`epoch ${epoch + 1}: mean loss ${(loss / order.length).toFixed(4)}`);
  }
}

export function accuracy(net: Net, data: Sample[]): number {
  let right = 0;
  for (const s of data) {
    const logits = net.forward(s.pixels);
    if (logits.indexOf(Math.max(...logits)) === s.label) right++;
  }
  return right / data.length;
}
