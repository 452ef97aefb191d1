// argmin: the position of the smallest element (no gradient).
import type { Tensor } from '../graph/tensor.ts';
import { argExtremum, type ArgReduceOptions } from './argmax.ts';

/**
 * The index of the smallest element along an axis (over the flattened tensor without one), as
 * PyTorch's `torch.argmin`: the first on ties, and a NaN counts as the smallest. No gradient (nothing is recorded).
 * @param x The tensor.
 * @param axis The axis to reduce (negative counts from the end); absent: the flat index over all elements.
 * @param opts `keepdims`: keep the reduced axis as size 1.
 * @returns Integer positions, in x's dtype.
 * @throws {@link ShapeError} for an axis out of range or of size 0.
 * @example
 * ```ts
 * import { argmin, tensor } from '@tapegrad/core';
 * console.log(argmin(tensor([[1, 5], [7, 2]]), 1).toArray()); // [0, 1]
 * ```
 * @category Reduction
 */
export function argmin(x: Tensor, axis?: number, opts: ArgReduceOptions = {}): Tensor {
  return argExtremum('argmin', x, axis, opts);
}
