// reshape: the same elements in a new shape (one dimension may be −1).
import { ShapeError } from '../base/errors.ts';
import { fmt, sizeOf, type Shape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { asTensor, defineOp, record, symbolicIn } from './define.ts';

const op = defineOp({
  name: 'reshape',
  rule: 'y = x with a new shape, same elements in the same order ⇒ dx = dy reshaped to x’s shape',
  backward: ({ inputs: [x], dy }) => [reshape(dy, x!.shape)],
});

/**
 * The same elements in a new shape (row-major order). One dimension may be -1, inferred from the rest.
 * @param x The tensor.
 * @param shape The new shape; its size must equal x's.
 * @returns A tensor of the new shape (a copy).
 * @throws {@link ShapeError} when the sizes differ or the shape is malformed.
 * @example
 * ```ts
 * import { arange, reshape } from '@tapegrad/core';
 * console.log(reshape(arange(6), [2, -1]).shape); // [2, 3]
 * ```
 * @category Shape
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  if (symbolicIn(x) !== null) return symbolicIn(x)!.apply(op, reshape, [x], [shape]) as Tensor;
  asTensor('reshape', 'x', x);
  const target = resolveShape(x, shape);
  return record(op, [x], Tensor.fromData(x.data.slice(), target, x.dtype), undefined);
}

function resolveShape(x: Tensor, shape: Shape): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`reshape: shape must be an array of integers, got ${String(shape)}`);
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.some((d, i) => !Number.isInteger(d) || d < -1 || (d === -1 && i !== free))) {
    throw new ShapeError(`reshape: shape must be non-negative integers with at most one -1, got ${fmt(shape)}`);
  }
  if (free >= 0) {
    const rest = sizeOf(out.filter((_, i) => i !== free));
    if (rest === 0 || x.size % rest !== 0) {
      throw new ShapeError(`reshape: cannot infer -1 for ${x.size} elements, got x ${fmt(x.shape)} and shape ${fmt(shape)}`);
    }
    out[free] = x.size / rest;
  }
  if (sizeOf(out) !== x.size) {
    throw new ShapeError(`reshape: the new shape must have the same size, got x ${fmt(x.shape)} (${x.size} elements) and shape ${fmt(shape)}`);
  }
  return out;
}
