/**
 * Just enough layers to train a small MNIST CNN/MLP on the CPU in plain TS:
 * single-sample forward/backward, gradients summed over a minibatch, SGD with momentum.
 */
import type { seeded } from './random.js';

export class Param {
  readonly grad: Float32Array;
  private readonly velocity: Float32Array;

  constructor(readonly name: string, readonly dims: number[], readonly value: Float32Array) {
    this.grad = new Float32Array(value.length);
    this.velocity = new Float32Array(value.length);
  }

  static he(name: string, dims: number[], fanIn: number, rng: ReturnType<typeof seeded>): Param {
    const n = dims.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    const std = Math.sqrt(2 / fanIn);
    for (let i = 0; i < n; i++) v[i] = rng.normal() * std;
    return new Param(name, dims, v);
  }

  static zeros(name: string, dims: number[]): Param {
    return new Param(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)));
  }

  step(lr: number, momentum: number, batch: number): void {
    for (let i = 0; i < this.value.length; i++) {
      this.velocity[i] = momentum * this.velocity[i] - (lr * this.grad[i]) / batch;
      this.value[i] += this.velocity[i];
      this.grad[i] = 0;
    }
  }
}

/** 3×3 convolution, stride 1, padding 1, on one sample laid out [C, H, W]. */
export class Conv3x3 {
  readonly w: Param;
  readonly b: Param;
  private input: Float32Array = new Float32Array(0);

  constructor(name: string, readonly cin: number, readonly cout: number, readonly size: number, rng: ReturnType<typeof seeded>) {
    this.w = Param.he(`${name}.weight`, [cout, cin, 3, 3], cin * 9, rng);
    this.b = Param.zeros(`${name}.bias`, [cout]);
  }

  forward(x: Float32Array): Float32Array {
    this.input = x;
    const S = this.size;
    const out = new Float32Array(this.cout * S * S);
    const w = this.w.value;
    for (let oc = 0; oc < this.cout; oc++) {
      const o = oc * S * S;
      out.fill(this.b.value[oc], o, o + S * S);
      for (let ic = 0; ic < this.cin; ic++) {
        for (let k = 0; k < 9; k++) {
          const ky = (k / 3) | 0;
          const kx = k % 3;
          const wv = w[(oc * this.cin + ic) * 9 + k];
          const y0 = Math.max(0, 1 - ky), y1 = Math.min(S, S + 1 - ky);
          const x0 = Math.max(0, 1 - kx), x1 = Math.min(S, S + 1 - kx);
          for (let y = y0; y < y1; y++) {
            const src = ic * S * S + (y + ky - 1) * S + kx - 1;
            const dst = o + y * S;
            for (let xx = x0; xx < x1; xx++) out[dst + xx] += wv * x[src + xx];
          }
        }
      }
    }
    return out;
  }

  backward(dOut: Float32Array, needInput = true): Float32Array {
    const S = this.size;
    const x = this.input;
    const w = this.w.value;
    const gw = this.w.grad;
    const dIn = new Float32Array(needInput ? x.length : 0);
    for (let oc = 0; oc < this.cout; oc++) {
      const o = oc * S * S;
      let gb = 0;
      for (let i = 0; i < S * S; i++) gb += dOut[o + i];
      this.b.grad[oc] += gb;
      for (let ic = 0; ic < this.cin; ic++) {
        for (let k = 0; k < 9; k++) {
          const ky = (k / 3) | 0;
          const kx = k % 3;
          const wi = (oc * this.cin + ic) * 9 + k;
          const wv = w[wi];
          const y0 = Math.max(0, 1 - ky), y1 = Math.min(S, S + 1 - ky);
          const x0 = Math.max(0, 1 - kx), x1 = Math.min(S, S + 1 - kx);
          let g = 0;
          for (let y = y0; y < y1; y++) {
            const src = ic * S * S + (y + ky - 1) * S + kx - 1;
            const dst = o + y * S;
            for (let xx = x0; xx < x1; xx++) {
              g += dOut[dst + xx] * x[src + xx];
              if (needInput) dIn[src + xx] += wv * dOut[dst + xx];
            }
          }
          gw[wi] += g;
        }
      }
    }
    return dIn;
  }
}

/** ReLU followed by 2×2 max pooling (stride 2) on [C, S, S]. */
export class ReluPool {
  private argmax = new Int32Array(0);
  private inputLength = 0;

  constructor(readonly channels: number, readonly size: number) {}

  forward(x: Float32Array): Float32Array {
    const S = this.size, H = S / 2;
    const out = new Float32Array(this.channels * H * H);
    this.argmax = new Int32Array(out.length).fill(-1);
    this.inputLength = x.length;
    for (let c = 0; c < this.channels; c++) {
      for (let y = 0; y < H; y++) {
        for (let xx = 0; xx < H; xx++) {
          let best = 0; // ReLU: negatives clip to 0 and pass no gradient
          let at = -1;
          for (let k = 0; k < 4; k++) {
            const i = c * S * S + (2 * y + (k >> 1)) * S + 2 * xx + (k & 1);
            if (x[i] > best) { best = x[i]; at = i; }
          }
          const o = (c * H + y) * H + xx;
          out[o] = best;
          this.argmax[o] = at;
        }
      }
    }
    return out;
  }

  backward(dOut: Float32Array): Float32Array {
    const dIn = new Float32Array(this.inputLength);
    for (let o = 0; o < dOut.length; o++) if (this.argmax[o] >= 0) dIn[this.argmax[o]] += dOut[o];
    return dIn;
  }
}

/** Fully connected layer y = W x + b with W stored [out, in] (Gemm with transB = 1). */
export class Dense {
  readonly w: Param;
  readonly b: Param;
  private input: Float32Array = new Float32Array(0);

  constructor(name: string, readonly nin: number, readonly nout: number, rng: ReturnType<typeof seeded>) {
    this.w = Param.he(`${name}.weight`, [nout, nin], nin, rng);
    this.b = Param.zeros(`${name}.bias`, [nout]);
  }

  forward(x: Float32Array): Float32Array {
    this.input = x;
    const out = new Float32Array(this.nout);
    const w = this.w.value;
    for (let o = 0; o < this.nout; o++) {
      let s = this.b.value[o];
      const row = o * this.nin;
      for (let i = 0; i < this.nin; i++) s += w[row + i] * x[i];
      out[o] = s;
    }
    return out;
  }

  backward(dOut: Float32Array): Float32Array {
    const x = this.input;
    const dIn = new Float32Array(this.nin);
    const w = this.w.value;
    const gw = this.w.grad;
    for (let o = 0; o < this.nout; o++) {
      const g = dOut[o];
      this.b.grad[o] += g;
      if (g === 0) continue;
      const row = o * this.nin;
      for (let i = 0; i < this.nin; i++) {
        gw[row + i] += g * x[i];
        dIn[i] += g * w[row + i];
      }
    }
    return dIn;
  }
}

export function relu(x: Float32Array): Float32Array {
  return x.map((v) => (v > 0 ? v : 0));
}

export function reluBackward(y: Float32Array, dOut: Float32Array): Float32Array {
  return dOut.map((g, i) => (y[i] > 0 ? g : 0));
}

/** Softmax cross-entropy: returns the loss and d(loss)/d(logits). */
export function softmaxCrossEntropy(logits: Float32Array, label: number): { loss: number; grad: Float32Array } {
  const max = Math.max(...logits);
  const exps = logits.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const grad = exps.map((e) => e / sum);
  const loss = -Math.log(grad[label] + 1e-12);
  grad[label] -= 1;
  return { loss, grad };
}
