// stack: joins tensors of one shape along a new axis.
import { ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis, sameShape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { checkTensorList, concatData } from './concat.ts';
import { defineOp, record } from './define.ts';
import { slice } from './slice.ts';
import { squeeze } from './squeeze.ts';

interface StackAttrs {
  readonly axis: number;
}

const op = defineOp<StackAttrs>({
  name: 'stack',
  rule: 'y = [x₀, x₁, …] along a new axis, y[…, k, …] = xₖ ⇒ dxₖ = dy[…, k, …]',
  backward: ({ inputs, dy, attrs: { axis } }) =>
    inputs.map((x, k) => (x.requiresGrad ? squeeze(slice(dy, axis, k, k + 1), axis) : null)),
});

/**
 * Joins tensors of one shape along a new axis: `y[…, k, …] = xₖ`.
 * @param tensors The tensors, at least one, all of the same shape and dtype.
 * @param axis Where the new axis goes, in `[−(rank+1), rank]` (default 0).
 * @returns The stacked tensor, with one more axis of size `tensors.length`.
 * @throws {@link ShapeError} when shapes differ or the axis is out of range.
 * @throws {@link DTypeError} when dtypes differ.
 * @example
 * ```ts
 * import { stack, tensor } from '@tapegrad/core';
 * console.log(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()); // [[1, 3], [2, 4]]
 * ```
 * @category Shape
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  checkTensorList('stack', tensors);
  const first = tensors[0]!;
  const ax = normalizeAxis('stack', axis, first.rank + 1, first.shape);
  tensors.forEach((t, k) => {
    if (!sameShape(t.shape, first.shape)) {
      throw new ShapeError(`stack: tensors must have the same shape, got tensors[0] ${fmt(first.shape)} and tensors[${k}] ${fmt(t.shape)}`);
    }
  });
  const outer = first.shape.slice(0, ax).reduce((n, d) => n * d, 1);
  const count = outer === 0 ? 0 : first.size / outer;
  const data = concatData(tensors.map((t) => t.data), tensors.map(() => count), outer, first.dtype);
  const shape = [...first.shape.slice(0, ax), tensors.length, ...first.shape.slice(ax)];
  return record(op, tensors, Tensor.fromData(data, shape, first.dtype), { axis: ax });
}
