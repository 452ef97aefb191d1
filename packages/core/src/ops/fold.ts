// fold: columns of windows summed back into an NCHW tensor (col2im; the adjoint of unfold).
import { ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { geometry, im2col, pair, unfold, type Size2, type WindowOptions } from './unfold.ts';

interface FoldAttrs {
  readonly kernelSize: readonly [number, number];
  readonly opts: WindowOptions;
}

const op = defineOp<FoldAttrs>({
  name: 'fold',
  rule: 'y = Σ of the columns placed back at their windows, linear, the adjoint of unfold ⇒ dx = unfold(dy)',
  backward: ({ dy, attrs: { kernelSize, opts } }) => [unfold(dy, kernelSize, opts)],
  replay: ([cols], { kernelSize, opts }, shape) => fold(cols!, [shape[2]!, shape[3]!], kernelSize, opts),
});

/**
 * Sums columns of windows back into an image (col2im), as PyTorch's `F.fold`; overlapping windows add
 * up. It is the adjoint of {@link unfold} (so `fold(unfold(x))` counts each pixel once per window).
 * @param cols `[N, C·kH·kW, L]`, L the number of windows that fit `outputSize`.
 * @param outputSize The spatial size `[H, W]` of the result (or one number for both).
 * @param kernelSize The window size.
 * @param opts `stride`, `padding`, `dilation`, as for unfold.
 * @returns Shape `[N, C, H, W]`.
 * @throws {@link ShapeError} when cols is not 3-D or its sizes do not match the windows.
 * @throws {@link ArgumentError} for a size that is not a positive integer.
 * @example
 * ```ts
 * import { fold, ones } from '@tapegrad/core';
 * console.log(fold(ones([1, 1, 2]), [1, 3], [1, 2]).toArray()); // [[[[1, 2, 1]]]]
 * ```
 * @category nn
 */
export function fold(cols: Tensor, outputSize: Size2, kernelSize: Size2, opts: WindowOptions = {}): Tensor {
  asTensor('fold', 'cols', cols);
  if (cols.rank !== 3) throw new ShapeError(`fold: cols must be 3-D [N, C·kH·kW, L], got cols ${fmt(cols.shape)}`);
  const [h, w] = pair('fold', 'outputSize', outputSize, 1, 1);
  const g = geometry('fold', h, w, kernelSize, opts);
  const [n, rows, l] = cols.shape as [number, number, number];
  const kk = g.kh * g.kw;
  if (rows % kk !== 0 || l !== g.oh * g.ow) {
    throw new ShapeError(`fold: cols must be [N, C·${kk}, ${g.oh * g.ow}] for kernel [${g.kh}, ${g.kw}] on [${h}, ${w}], got cols ${fmt(cols.shape)}`);
  }
  const c = rows / kk;
  const out = alloc(cols.dtype, n * c * h * w);
  im2col(out, cols.data, n, c, g, true);
  return record(op, [cols], Tensor.fromData(out, [n, c, h, w], cols.dtype), { kernelSize: [g.kh, g.kw], opts });
}
