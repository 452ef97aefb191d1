// mean: (1/n) Σ x over axes, recorded as a sum and a division.
import { normalizeAxes, sizeOf } from '../base/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { asTensor, symbolicIn } from './define.ts';
import { div } from './div.ts';
import { sum } from './sum.ts';

/**
 * Mean over `axis` (all axes when absent): `y = (1/n) Σᵢ xᵢ`. Recorded as a sum and a division, so
 * its gradient `dy/n` comes from those two rules.
 * @param x The tensor.
 * @param axis An axis or a list of axes; negative axes count from the end.
 * @param keepdims Keep the reduced axes as size 1.
 * @returns The means.
 * @throws {@link ShapeError} for an axis out of range or repeated.
 * @example
 * ```ts
 * import { mean, tensor } from '@tapegrad/core';
 * console.log(mean(tensor([[1, 2], [3, 4]]), 1).toArray()); // [1.5, 3.5]
 * ```
 * @category Reduction
 */
export function mean(x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor {
  // A symbolic x counts its elements symbolically (m for an [1, m] matrix); the composition is the same.
  if (symbolicIn(x) !== null) {
    const n = symbolicIn(x)!.count(axis) as number;
    return n === 1 ? sum(x, axis, keepdims) : div(sum(x, axis, keepdims), n);
  }
  asTensor('mean', 'x', x);
  const axes = normalizeAxes('mean', axis, x.shape);
  const count = sizeOf(axes.map((a) => x.shape[a]!));
  return div(sum(x, axes, keepdims), count);
}
