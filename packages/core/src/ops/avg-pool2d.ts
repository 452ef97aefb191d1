// avgPool2d: the mean of each window of an NCHW tensor, as unfold, a sum and a division.
import { ArgumentError } from '../base/errors.ts';
import type { Tensor } from '../graph/tensor.ts';
import { tensor } from '../graph/creation.ts';
import { div } from './div.ts';
import { reshape } from './reshape.ts';
import { sum } from './sum.ts';
import { checkNchw, geometry, pair, unfold, type Size2 } from './unfold.ts';

/** Options of {@link avgPool2d} (PyTorch's names). @category nn */
export interface AvgPool2dOptions {
  /** The window size. */
  readonly kernelSize: Size2;
  /** Step between windows (default: kernelSize). */
  readonly stride?: Size2;
  /** Zeros added on each side (default 0; at most half the kernel). */
  readonly padding?: Size2;
  /** Divide by the whole window, padding included (default true), or by the taps inside the input. */
  readonly countIncludePad?: boolean;
}

/**
 * 2-D average pooling over NCHW inputs, as PyTorch's `F.avg_pool2d`: `y[n, c, i, j]` is the window's sum
 * divided by kH·kW (or, with `countIncludePad: false`, by the number of taps inside the input). It is
 * recorded as {@link unfold}, `sum` and `div`, whose rules give its gradient: dy/count spread over each window.
 * @param x The input, `[N, C, H, W]`.
 * @param opts `kernelSize`, `stride` (default: kernelSize), `padding`, `countIncludePad`.
 * @returns Shape `[N, C, oH, oW]`.
 * @throws {@link ShapeError} when x is not 4-D or the window does not fit.
 * @throws {@link ArgumentError} for a bad size, or padding above half the kernel.
 * @example
 * ```ts
 * import { avgPool2d, tensor } from '@tapegrad/core';
 * console.log(avgPool2d(tensor([[[[1, 2], [4, 3]]]]), { kernelSize: 2 }).toArray()); // [[[[2.5]]]]
 * ```
 * @category nn
 */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  checkNchw('avgPool2d', 'x', x);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const kernel = pair('avgPool2d', 'kernelSize', opts?.kernelSize, 0, 1);
  const window = { stride: opts.stride ?? kernel, padding: opts.padding };
  const g = geometry('avgPool2d', h, w, kernel, window);
  if (2 * g.ph > g.kh || 2 * g.pw > g.kw) throw new ArgumentError(`avgPool2d: padding must be at most half the kernel size [${g.kh}, ${g.kw}], got [${g.ph}, ${g.pw}]`);
  const sums = sum(unfold(reshape(x, [n * c, 1, h, w]), kernel, window), 1);
  let count: number | Tensor = g.kh * g.kw;
  if (opts.countIncludePad === false && (g.ph > 0 || g.pw > 0)) {
    const inside = (o: number, s: number, p: number, k: number, size: number): number => Math.min(o * s - p + k, size) - Math.max(o * s - p, 0);
    const counts: number[] = [];
    for (let oy = 0; oy < g.oh; oy++) for (let ox = 0; ox < g.ow; ox++) counts.push(inside(oy, g.sh, g.ph, g.kh, h) * inside(ox, g.sw, g.pw, g.kw, w));
    count = tensor(counts, { dtype: x.dtype });
  }
  return reshape(div(sums, count), [n, c, g.oh, g.ow]);
}
