// unsqueeze: inserts a size-1 axis.
import { normalizeAxis } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { asTensor, defineOp, record } from './define.ts';
import { reshape } from './reshape.ts';

const op = defineOp({
  name: 'unsqueeze',
  rule: 'y = x with a new size-1 axis, same elements ⇒ dx = dy reshaped to x’s shape',
  backward: ({ inputs: [x], dy }) => [reshape(dy, x!.shape)],
});

/**
 * Inserts an axis of size 1 at position `axis` of the result.
 * @param x The tensor.
 * @param axis Where the new axis goes, in `[−(rank+1), rank]`; negative counts from the end of the result.
 * @returns The same elements with one more axis (a copy).
 * @throws {@link ShapeError} for an axis out of range.
 * @example
 * ```ts
 * import { tensor, unsqueeze } from '@tapegrad/core';
 * console.log(unsqueeze(tensor([1, 2]), -1).toArray()); // [[1], [2]]
 * ```
 * @category Shape
 */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  asTensor('unsqueeze', 'x', x);
  const ax = normalizeAxis('unsqueeze', axis, x.rank + 1, x.shape);
  const shape = [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)];
  return record(op, [x], Tensor.fromData(x.data.slice(), shape, x.dtype), undefined);
}
