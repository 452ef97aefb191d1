// min: the minimum over axes, ties sharing the gradient evenly (the kernel is max.ts's).
import type { Tensor } from '../graph/tensor.ts';
import { extremum } from './max.ts';

/**
 * Minimum over `axis` (all axes when absent): `y = minᵢ xᵢ`. Where several elements tie for the
 * minimum, the gradient is split evenly among them (as PyTorch's `amin`); the rule lives with
 * {@link max}: `dx = dy·[x = y] / count`.
 * @param x The tensor.
 * @param axis An axis or a list of axes; negative axes count from the end.
 * @param keepdims Keep the reduced axes as size 1.
 * @returns The minima.
 * @throws {@link ShapeError} for an axis out of range, repeated or of size 0.
 * @example
 * ```ts
 * import { min, tensor } from '@tapegrad/core';
 * console.log(min(tensor([[1, 5], [7, 2]]), 0).toArray()); // [1, 2]
 * ```
 * @category Reduction
 */
export function min(x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor {
  return extremum('min', x, axis, keepdims);
}
