// TEMPORARY (issue 4): composed from core ops until core exports its losses; then this file re-exports them.
import { noGrad, softplus, tensor, type Tensor } from '@tapegrad/core';

/** @internal */
export interface LossOptions {
  readonly reduction?: 'mean' | 'sum' | 'none';
}

function reduce(x: Tensor, r: LossOptions['reduction']): Tensor {
  return r === 'none' ? x : r === 'sum' ? x.sum() : x.mean();
}

/** @internal */
export function binaryCrossEntropyWithLogits(z: Tensor, t: Tensor, opts: LossOptions = {}): Tensor {
  return reduce(softplus(z).sub(z.mul(t)), opts.reduction);
}

/** @internal */
export function mseLoss(y: Tensor, t: Tensor, opts: LossOptions = {}): Tensor {
  return reduce(y.sub(t).square(), opts.reduction);
}

/** @internal */
export function crossEntropy(z: Tensor, labels: Tensor, opts: LossOptions = {}): Tensor {
  const [m, k] = [z.shape[0]!, z.shape[1]!];
  const { shift, onehot } = noGrad(() => {
    const s = new Float64Array(m);
    const o = new Float64Array(m * k);
    for (let i = 0; i < m; i++) {
      let mx = -Infinity;
      for (let j = 0; j < k; j++) mx = Math.max(mx, z.data[i * k + j]!);
      s[i] = mx;
      o[i * k + labels.data[i]!] = 1;
    }
    return { shift: tensor(s, { shape: [m, 1] }), onehot: tensor(o, { shape: [m, k] }) };
  });
  const lse = z.sub(shift).exp().sum(1, true).log().add(shift);
  return reduce(lse.sub(z.mul(onehot).sum(1, true)).reshape([m]), opts.reduction);
}

/** @internal */
export function binaryCrossEntropy(y: Tensor, t: Tensor, opts: LossOptions = {}): Tensor {
  return reduce(y.log().mul(t).add(y.neg().add(1).log().mul(t.neg().add(1))).neg(), opts.reduction);
}
