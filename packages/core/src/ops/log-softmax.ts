// logSoftmax: x − logsumexp(x) along an axis, shifted by the max.
import { Tensor } from '../graph/tensor.ts';
import { defineOp, record, symbolicIn } from './define.ts';
import { exp } from './exp.ts';
import { mul } from './mul.ts';
import { softmaxAxis, softmaxKernel } from './softmax.ts';
import { sub } from './sub.ts';
import { sum } from './sum.ts';

interface LogSoftmaxAttrs {
  readonly axis: number;
}

const op = defineOp<LogSoftmaxAttrs>({
  name: 'logSoftmax',
  rule: 'yᵢ = xᵢ − ln Σⱼ e^{xⱼ}, ∂yᵢ/∂xⱼ = δᵢⱼ − softmax(x)ⱼ = δᵢⱼ − e^{yⱼ} ⇒ dx = dy − e^y·Σⱼ dyⱼ (reuses the output)',
  backward: ({ output: y, dy, attrs: { axis } }) => [sub(dy, mul(exp(y), sum(dy, axis, true)))],
  replay: ([x], { axis }) => Tensor.fromData(softmaxKernel(x!, axis, true), x!.shape, x!.dtype),
});

/**
 * Log-softmax along `axis`: `yᵢ = xᵢ − ln Σⱼ e^{xⱼ}`, computed as `xᵢ − m − ln Σⱼ e^{xⱼ − m}` with
 * `m = max x`, so it never overflows and stays accurate where softmax underflows to 0.
 * @param x The tensor (at least 1-D).
 * @param axis The axis to normalize over (default −1, the last).
 * @returns Log-probabilities in x's shape.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} for a 0-d tensor or an axis out of range.
 * @example
 * ```ts
 * import { logSoftmax, tensor } from '@tapegrad/core';
 * console.log(logSoftmax(tensor([1000, 0])).toArray()); // [0, -1000]
 * ```
 * @category Reduction
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  if (symbolicIn(x) !== null) return symbolicIn(x)!.apply(op, logSoftmax, [x], [axis]) as Tensor;
  const ax = softmaxAxis('logSoftmax', x, axis);
  return record(op, [x], Tensor.fromData(softmaxKernel(x, ax, true), x.shape, x.dtype), { axis: ax });
}
