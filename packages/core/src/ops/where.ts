// where: picks a where cond ≠ 0, else b, with broadcasting.
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { broadcastIndex, broadcastShapes, fmt, sizeOf, type Shape } from '../base/shape.ts';
import { scalarLike } from '../graph/creation.ts';
import { Tensor, type TensorLike } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, describe, record } from './define.ts';

const op = defineOp({
  name: 'where',
  rule: 'y = c ? a : b, ∂y/∂a = [c ≠ 0], ∂y/∂b = [c = 0] ⇒ da = where(c, dy, 0), db = where(c, 0, dy) (selected, not multiplied: the untaken side gets exactly 0 even where dy is ∞ or NaN)',
  backward: ({ inputs: [c, a, b], dy }) => [
    null,
    a!.requiresGrad ? where(c!, dy, 0) : null,
    b!.requiresGrad ? where(c!, 0, dy) : null,
  ],
  replay: ([c, a, b]) => where(c!, a!, b!),
});

/**
 * Elementwise selection with broadcasting: `yᵢ = cᵢ ≠ 0 ? aᵢ : bᵢ`. The gradient flows only to the
 * side that was taken; the other side gets exactly 0. Elementwise rules take a zero upstream gradient
 * as no dependence, so a NaN or ∞ derivative on the untaken side, as in `where(gt(x, 0), log(x), 0)`
 * at x = 0, adds 0 to x's gradient instead of NaN (PyTorch and JAX give NaN there).
 * @param cond The condition: any nonzero element selects `a` (comparisons give 1/0). No gradient flows to it.
 * @param a Taken where the condition holds: a tensor or a number.
 * @param b Taken elsewhere: a tensor or a number.
 * @returns The selection, in the broadcast shape of the three.
 * @throws {@link ShapeError} when the shapes do not broadcast.
 * @throws {@link DTypeError} when a and b have different dtypes.
 * @throws {@link ArgumentError} when a or b is neither a tensor nor a number.
 * @example
 * ```ts
 * import { gt, tensor, where } from '@tapegrad/core';
 * const x = tensor([-1, 2, -3]);
 * console.log(where(gt(x, 0), x, 0).toArray()); // [0, 2, 0]
 * ```
 * @category Elementwise
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  asTensor('where', 'cond', cond);
  for (const [name, v] of [['a', a], ['b', b]] as const) {
    if (!(v instanceof Tensor) && typeof v !== 'number') throw new ArgumentError(`where: ${name} must be a Tensor or a number, got ${describe(v)}`);
  }
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : cond.dtype;
  if (a instanceof Tensor && b instanceof Tensor && a.dtype !== b.dtype) {
    throw new DTypeError(`where: a and b must have the same dtype, got a ${a.dtype} and b ${b.dtype}`);
  }
  const ta = a instanceof Tensor ? a : scalarLike(a, dtype);
  const tb = b instanceof Tensor ? b : scalarLike(b, dtype);
  let shape: Shape;
  try {
    shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape), tb.shape);
  } catch {
    throw new ShapeError(`where: cond, a and b must broadcast, got cond ${fmt(cond.shape)}, a ${fmt(ta.shape)} and b ${fmt(tb.shape)}`);
  }
  const ic = broadcastIndex(shape, cond.shape);
  const ia = broadcastIndex(shape, ta.shape);
  const ib = broadcastIndex(shape, tb.shape);
  const out = alloc(dtype, sizeOf(shape), 'where', shape);
  const cd = cond.data;
  for (let i = 0; i < out.length; i++) out[i] = cd[ic[i]!] !== 0 ? ta.data[ia[i]!]! : tb.data[ib[i]!]!;
  return record(op, [cond, ta, tb], Tensor.fromData(out, shape, dtype), undefined);
}
