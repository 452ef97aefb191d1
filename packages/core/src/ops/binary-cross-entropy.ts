// binaryCrossEntropy: the BCE loss on probabilities, logs clamped at −100 as PyTorch does.
import { ArgumentError } from '../base/errors.ts';
import type { Tensor } from '../graph/tensor.ts';
import { defineBinary, type BinaryFn, symbolicIn } from './define.ts';
import { div } from './div.ts';
import { log } from './log.ts';
import { checkPair, checkReduction, checkTargets, reduceLoss, type LossOptions } from './loss-reduction.ts';
import { maximum } from './maximum.ts';
import { sub } from './sub.ts';

/** ln x clamped below at −100, as PyTorch, so ŷ = 0 or 1 gives a large finite loss instead of ∞. */
const clampedLog = (x: number): number => Math.max(Math.log(x), -100);

const elementwise: BinaryFn = defineBinary({
  name: 'binaryCrossEntropy',
  // Written as −t·ln ŷ − (1 − t)·ln(1 − ŷ) so a perfect prediction gives +0, not −0.
  forward: (p, t) => -t * clampedLog(p) - (1 - t) * clampedLog(1 - p),
  rule: 'ℓ = −(t·ln ŷ + (1 − t)·ln(1 − ŷ)), ∂ℓ/∂ŷ = −t/ŷ + (1 − t)/(1 − ŷ), ∂ℓ/∂t = ln(1 − ŷ) − ln ŷ ⇒ dŷ = dy·(−t/ŷ + (1 − t)/(1 − ŷ)), dt = dy·(ln(1 − ŷ) − ln ŷ)',
  da: (p, t) => sub(div(sub(1, t), sub(1, p)), div(t, p)),
  db: (p) => sub(maximum(log(sub(1, p)), -100), maximum(log(p), -100)),
});

/**
 * Binary cross-entropy on probabilities: `ℓ = −(t·ln ŷ + (1 − t)·ln(1 − ŷ))`, reduced by the mean by default.
 * As PyTorch, each log is clamped at −100, so ŷ = 0 or 1 gives a loss of at most 100 per element rather
 * than ∞; the gradient is the generic `−t/ŷ + (1 − t)/(1 − ŷ)`, which is ±∞ (or NaN) at exactly 0 or 1.
 * Prefer {@link binaryCrossEntropyWithLogits} on logits: it is stable everywhere.
 * @param yhat Predicted probabilities in [0, 1].
 * @param t Targets (usually 0 or 1), of yhat's shape and dtype.
 * @param opts `reduction`: `'mean'` (default), `'sum'` or `'none'`.
 * @returns The loss: a scalar, or yhat's shape for `'none'`.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when the shapes differ; {@link @tapegrad/core!DTypeError | DTypeError} when the dtypes differ.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for an element of yhat or t outside [0, 1], or an unknown reduction.
 * @example
 * ```ts
 * import { binaryCrossEntropy, tensor } from '@tapegrad/core';
 * console.log(binaryCrossEntropy(tensor([0.5, 0.5]), tensor([0, 1])).item()); // 0.6931471805599453
 * ```
 * @category nn
 */
export function binaryCrossEntropy(yhat: Tensor, t: Tensor, opts?: LossOptions): Tensor {
  if (symbolicIn(yhat, t) !== null) return reduceLoss(elementwise(yhat, t), checkReduction('binaryCrossEntropy', opts));
  checkPair('binaryCrossEntropy', 'yhat', yhat, t);
  checkTargets('binaryCrossEntropy', t);
  const reduction = checkReduction('binaryCrossEntropy', opts);
  const bad = yhat.data.findIndex((p) => !(p >= 0 && p <= 1));
  if (bad >= 0) throw new ArgumentError(`binaryCrossEntropy: yhat must be probabilities in [0, 1], got ${yhat.data[bad]} at index ${bad}`);
  return reduceLoss(elementwise(yhat, t), reduction);
}
