// squeeze: drops size-1 axes.
import { ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxes } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { asTensor, defineOp, record } from './define.ts';
import { reshape } from './reshape.ts';

const op = defineOp({
  name: 'squeeze',
  rule: 'y = x without size-1 axes, same elements ⇒ dx = dy reshaped to x’s shape',
  backward: ({ inputs: [x], dy }) => [reshape(dy, x!.shape)],
});

/**
 * Removes axes of size 1: the given ones, or all of them when `axis` is absent.
 * @param x The tensor.
 * @param axis An axis or a list of axes (negative counts from the end); each must have size 1.
 * @returns The same elements without those axes (a copy).
 * @throws {@link ShapeError} for an axis out of range, repeated, or of size other than 1.
 * @example
 * ```ts
 * import { squeeze, zeros } from '@tapegrad/core';
 * console.log(squeeze(zeros([2, 1, 3])).shape); // [2, 3]
 * ```
 * @category Shape
 */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  asTensor('squeeze', 'x', x);
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axis, x.shape);
  for (const a of axes) {
    if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} must have size 1, got size ${x.shape[a]} for shape ${fmt(x.shape)}`);
  }
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  return record(op, [x], Tensor.fromData(x.data.slice(), shape, x.dtype), undefined);
}
