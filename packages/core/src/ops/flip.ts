// flip: elements reversed along axes.
import { ShapeError } from '../base/errors.ts';
import { normalizeAxes, stridesOf } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';

interface FlipAttrs {
  readonly axes: readonly number[];
}

const op = defineOp<FlipAttrs>({
  name: 'flip',
  rule: 'y = x reversed along the axes, a permutation of elements (its own inverse) ⇒ dx = flip(dy, axes)',
  backward: ({ dy, attrs: { axes } }) => [flip(dy, axes)],
  replay: ([x], { axes }) => flip(x!, axes),
});

/**
 * Reverses the order of elements along the given axes, as PyTorch's `torch.flip`.
 * @param x The tensor.
 * @param axes An axis or a list of axes (negative counts from the end).
 * @returns The flipped tensor (a copy), in x's shape.
 * @throws {@link ShapeError} for an axis out of range or repeated.
 * @example
 * ```ts
 * import { flip, tensor } from '@tapegrad/core';
 * console.log(flip(tensor([[1, 2], [3, 4]]), 1).toArray()); // [[2, 1], [4, 3]]
 * ```
 * @category Shape
 */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  asTensor('flip', 'x', x);
  if (axes === undefined) throw new ShapeError(`flip: axes must be given, got undefined for shape [${x.shape.join(', ')}]`);
  const ax = normalizeAxes('flip', axes, x.shape);
  const strides = stridesOf(x.shape);
  const rank = x.rank;
  const coord = new Array<number>(rank).fill(0);
  const xd = x.data;
  const out = alloc(x.dtype, xd.length);
  for (let i = 0; i < xd.length; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (ax.includes(d) ? x.shape[d]! - 1 - coord[d]! : coord[d]!) * strides[d]!;
    out[i] = xd[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < x.shape[d]!) break;
      coord[d] = 0;
    }
  }
  return record(op, [x], Tensor.fromData(out, x.shape, x.dtype), { axes: ax });
}
