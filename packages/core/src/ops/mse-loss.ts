// mseLoss: the squared error (ŷ − t)², mean by default.
import type { Tensor } from '../graph/tensor.ts';
import { defineBinary, type BinaryFn, symbolicIn } from './define.ts';
import { checkPair, checkReduction, reduceLoss, type LossOptions } from './loss-reduction.ts';
import { mul } from './mul.ts';
import { sub } from './sub.ts';

const elementwise: BinaryFn = defineBinary({
  name: 'mseLoss',
  forward: (p, t) => (p - t) * (p - t),
  rule: 'ℓ = (ŷ − t)², ∂ℓ/∂ŷ = 2(ŷ − t), ∂ℓ/∂t = −2(ŷ − t) ⇒ dŷ = dy·2(ŷ − t), dt = −dy·2(ŷ − t)',
  da: (p, t) => mul(2, sub(p, t)),
  db: (p, t) => mul(2, sub(t, p)),
});

/**
 * Squared error: `ℓ = (ŷ − t)²`, reduced by the mean by default (the mean squared error).
 * @param yhat Predictions.
 * @param t Targets, of yhat's shape and dtype.
 * @param opts `reduction`: `'mean'` (default), `'sum'` or `'none'`.
 * @returns The loss: a scalar, or yhat's shape for `'none'`.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when the shapes differ; {@link @tapegrad/core!DTypeError | DTypeError} when the dtypes differ.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for an unknown reduction.
 * @example
 * ```ts
 * import { mseLoss, tensor } from '@tapegrad/core';
 * console.log(mseLoss(tensor([1, 2]), tensor([1, 4])).item()); // 2
 * ```
 * @category nn
 */
export function mseLoss(yhat: Tensor, t: Tensor, opts?: LossOptions): Tensor {
  if (symbolicIn(yhat, t) !== null) return reduceLoss(elementwise(yhat, t), checkReduction('mseLoss', opts));
  checkPair('mseLoss', 'yhat', yhat, t);
  const reduction = checkReduction('mseLoss', opts);
  return reduceLoss(elementwise(yhat, t), reduction);
}
