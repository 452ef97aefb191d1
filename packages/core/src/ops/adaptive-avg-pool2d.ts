// adaptiveAvgPool2d: average pooling to a given output size, as two products with averaging matrices.
import { ArgumentError } from '../base/errors.ts';
import type { Tensor } from '../graph/tensor.ts';
import { tensor } from '../graph/creation.ts';
import { matmul } from './matmul.ts';
import { checkNchw, pair, type Size2 } from './unfold.ts';

/** The [out, size] matrix whose row i averages PyTorch's window ⌊i·size/out⌋ ≤ k < ⌈(i + 1)·size/out⌉. */
function averaging(out: number, size: number, dtype: Tensor['dtype']): Tensor {
  const m = new Array<number>(out * size).fill(0);
  for (let i = 0; i < out; i++) {
    const start = Math.floor((i * size) / out);
    const end = Math.ceil(((i + 1) * size) / out);
    for (let k = start; k < end; k++) m[i * size + k] = 1 / (end - start);
  }
  return tensor(m, { shape: [out, size], dtype });
}

/**
 * Adaptive 2-D average pooling to `outputSize`, as PyTorch's `F.adaptive_avg_pool2d`: output cell
 * (i, j) averages rows `⌊i·H/oH⌋ … ⌈(i+1)·H/oH⌉ − 1` and the same for columns. The windows are
 * separable, so `y = A_H · x · A_Wᵀ` with two averaging matrices: two GEMMs, whose rules give the gradient.
 * @param x The input, `[N, C, H, W]`.
 * @param outputSize `[oH, oW]`, or one number for both (1 gives global average pooling).
 * @returns Shape `[N, C, oH, oW]`.
 * @throws {@link ShapeError} when x is not 4-D.
 * @throws {@link ArgumentError} when an output size is not a positive integer.
 * @example
 * ```ts
 * import { adaptiveAvgPool2d, tensor } from '@tapegrad/core';
 * console.log(adaptiveAvgPool2d(tensor([[[[1, 2], [4, 3]]]]), 1).toArray()); // [[[[2.5]]]]
 * ```
 * @category nn
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Size2): Tensor {
  checkNchw('adaptiveAvgPool2d', 'x', x);
  const [oh, ow] = pair('adaptiveAvgPool2d', 'outputSize', outputSize, 1, 1);
  const [, , h, w] = x.shape as [number, number, number, number];
  if (h === 0 || w === 0) throw new ArgumentError(`adaptiveAvgPool2d: x must have non-empty spatial axes, got [${h}, ${w}]`);
  const rows = matmul(averaging(oh, h, x.dtype), x);
  return matmul(rows, averaging(ow, w, x.dtype), { transposeB: true });
}
