// broadcastTo: repeats a tensor along size-1 and new leading axes.
import { ShapeError } from '../base/errors.ts';
import { broadcastLoop, planBinary } from '../kernels/elementwise.ts';
import { broadcastIndex, checkShape, fmt, sizeOf, type Shape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record, symbolicIn } from './define.ts';

const op = defineOp({
  name: 'broadcastTo',
  rule: 'y = x repeated along broadcast axes, ∂yⱼ/∂xᵢ = 1 for each copy ⇒ dx = dy summed over the copies (by the engine)',
  backward: ({ dy }) => [dy],
});

/**
 * Repeats `x` along axes of size 1 (and new leading axes) to reach `shape`, by NumPy's rule.
 * @param x The tensor.
 * @param shape The target shape.
 * @returns A tensor of the target shape.
 * @throws {@link ShapeError} when x does not broadcast to the shape.
 * @example
 * ```ts
 * import { broadcastTo, tensor } from '@tapegrad/core';
 * console.log(broadcastTo(tensor([1, 2]), [2, 2]).toArray()); // [[1, 2], [1, 2]]
 * ```
 * @category Shape
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  if (symbolicIn(x) !== null) return symbolicIn(x)!.apply(op, broadcastTo, [x], [shape]) as Tensor;
  asTensor('broadcastTo', 'x', x);
  checkShape('broadcastTo', shape);
  // Checked here rather than by broadcastShapes, whose message would name arguments a and b.
  const lead = shape.length - x.shape.length;
  if (lead < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
    throw new ShapeError(`broadcastTo: x must broadcast to the shape, got x ${fmt(x.shape)} and shape ${fmt(shape)}`);
  }
  const xd = x.data;
  const p = planBinary(shape, x.shape, []);
  const out = alloc(x.dtype, sizeOf(shape), 'broadcastTo', shape);
  if (p !== null) broadcastLoop(xd, out, p);
  else {
    const idx = broadcastIndex(shape, x.shape);
    for (let i = 0; i < idx.length; i++) out[i] = xd[idx[i]!]!;
  }
  return record(op, [x], Tensor.fromData(out, [...shape], x.dtype), undefined);
}
