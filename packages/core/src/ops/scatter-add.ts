// scatterAdd: src added into x at indexed positions (its derivative is gather).
import { DTypeError, ShapeError } from '../base/errors.ts';
import { fmt, normalizeAxis, sameShape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { asTensor, defineOp, record } from './define.ts';
import { gather, gatherOffsets } from './gather.ts';

interface ScatterAddAttrs {
  readonly axis: number;
  readonly index: Tensor;
}

const op = defineOp<ScatterAddAttrs>({
  name: 'scatterAdd',
  rule: 'y = x, then y[…index[…i…]…] += src[…i…] along the axis; y is linear in both ⇒ dx = dy, dsrc = gather(dy, axis, index)',
  backward: ({ inputs: [x, src], dy, attrs: { axis, index } }) => [x!.requiresGrad ? dy : null, src!.requiresGrad ? gather(dy, axis, index) : null],
  replay: ([x, src], { axis, index }) => scatterAdd(x!, axis, index, src!),
});

/**
 * Adds `src` into a copy of `x` at the positions named by `index` along an axis, as PyTorch's
 * `scatter_add`: for a 3-D x and axis 1, `y[i][index[i][j][k]][k] += src[i][j][k]`. Repeated indices add up.
 * This is the backward of {@link gather}.
 * @param x The tensor added into (not modified).
 * @param axis The axis the index values point along (negative counts from the end).
 * @param index Integers in `[0, x.shape[axis])`, of x's rank, no dimension larger than x's except along the axis.
 * @param src The values to add, in the index's shape.
 * @returns A new tensor in x's shape.
 * @throws {@link ShapeError} when the index or src shapes do not fit.
 * @throws {@link ArgumentError} for an index value that is not an integer in range.
 * @throws {@link DTypeError} when x and src have different dtypes.
 * @example
 * ```ts
 * import { scatterAdd, tensor, zeros } from '@tapegrad/core';
 * console.log(scatterAdd(zeros([3]), 0, tensor([0, 2, 0]), tensor([1, 2, 3])).toArray()); // [4, 0, 2]
 * ```
 * @category Shape
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  asTensor('scatterAdd', 'x', x);
  asTensor('scatterAdd', 'index', index);
  asTensor('scatterAdd', 'src', src);
  if (x.dtype !== src.dtype) throw new DTypeError(`scatterAdd: x and src must have the same dtype, got x ${x.dtype} and src ${src.dtype}`);
  if (x.rank === 0) throw new ShapeError(`scatterAdd: x must have at least 1 dimension, got shape ${fmt(x.shape)}`);
  if (!sameShape(index.shape, src.shape)) throw new ShapeError(`scatterAdd: src must have the index's shape, got index ${fmt(index.shape)} and src ${fmt(src.shape)}`);
  const ax = normalizeAxis('scatterAdd', axis, x.rank, x.shape);
  const offsets = gatherOffsets('scatterAdd', x.shape, ax, index);
  const out = x.data.slice();
  const sd = src.data;
  for (let i = 0; i < offsets.length; i++) out[offsets[i]!] = out[offsets[i]!]! + sd[i]!;
  return record(op, [x, src], Tensor.fromData(out, x.shape, x.dtype), { axis: ax, index: index.detach() });
}
