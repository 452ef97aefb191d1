// maxPool2d: the max of each window of an NCHW tensor (its derivative routes dy to the argmax).
import { Tensor } from '../graph/tensor.ts';
import { zeros } from '../graph/creation.ts';
import { ArgumentError } from '../base/errors.ts';
import { alloc, defineOp, record } from './define.ts';
import { reshape } from './reshape.ts';
import { scatterAdd } from './scatter-add.ts';
import { checkNchw, geometry, pair, type Size2, type WindowOptions } from './unfold.ts';

/** Options of {@link maxPool2d} (PyTorch's names). @category nn */
export interface MaxPool2dOptions extends WindowOptions {
  /** The window size. */
  readonly kernelSize: Size2;
}

interface MaxPoolAttrs {
  /** [N·C, L]: the position in its H·W plane of each window's max. */
  readonly argmax: Tensor;
  readonly opts: MaxPool2dOptions;
}

const op = defineOp<MaxPoolAttrs>({
  name: 'maxPool2d',
  // A tie goes to the first maximal tap in row-major window order (as PyTorch); padding never wins.
  rule: 'y = max over each window, ∂y/∂xᵢ = [i is the window’s argmax] ⇒ dx = scatterAdd(0, argmax, dy) (overlapping windows add up)',
  backward: ({ inputs: [x], dy, attrs: { argmax } }) => {
    const [n, c, h, w] = x!.shape as [number, number, number, number];
    const flat = scatterAdd(zeros([n * c, h * w], { dtype: dy.dtype }), 1, argmax, reshape(dy, argmax.shape));
    return [reshape(flat, x!.shape)];
  },
  // The argmax is made again with the output: the traced backward reads the new one.
  replay: ([x], { opts }) => pooled(x!, opts),
});

/**
 * 2-D max pooling over NCHW inputs, as PyTorch's `F.max_pool2d`: `y[n, c, i, j]` is the max of the
 * window at `(s·i − p, s·j − p)` with taps `d` apart; padding is −∞, never picked.
 * @param x The input, `[N, C, H, W]`.
 * @param opts `kernelSize`, `stride` (default: kernelSize), `padding` (at most half the kernel), `dilation`.
 * @returns Shape `[N, C, oH, oW]`.
 * @throws {@link ShapeError} when x is not 4-D or the window does not fit.
 * @throws {@link ArgumentError} for a bad size, or padding above half the kernel.
 * @example
 * ```ts
 * import { maxPool2d, tensor } from '@tapegrad/core';
 * console.log(maxPool2d(tensor([[[[1, 2], [4, 3]]]]), { kernelSize: 2 }).toArray()); // [[[[4]]]]
 * ```
 * @category nn
 */
export function maxPool2d(x: Tensor, opts: MaxPool2dOptions): Tensor {
  const { output, attrs } = pooled(x, opts);
  return record(op, [x], output, attrs);
}

function pooled(x: Tensor, opts: MaxPool2dOptions): { readonly output: Tensor; readonly attrs: MaxPoolAttrs } {
  checkNchw('maxPool2d', 'x', x);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const kernel = pair('maxPool2d', 'kernelSize', opts?.kernelSize, 0, 1);
  const g = geometry('maxPool2d', h, w, kernel, { stride: opts.stride ?? kernel, padding: opts.padding, dilation: opts.dilation });
  if (2 * g.ph > g.kh || 2 * g.pw > g.kw) throw new ArgumentError(`maxPool2d: padding must be at most half the kernel size [${g.kh}, ${g.kw}], got [${g.ph}, ${g.pw}]`);
  const l = g.oh * g.ow;
  const out = alloc(x.dtype, n * c * l);
  const arg = new Float64Array(n * c * l);
  const xd = x.data;
  for (let p = 0; p < n * c; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < g.kh; i++) {
          const iy = oy * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < g.kw; j++) {
            const ix = ox * g.sw - g.pw + j * g.dw;
            if (ix < 0 || ix >= w) continue;
            const v = xd[base + iy * w + ix]!;
            if (at < 0 || v > best || (v !== v && best === best)) {
              best = v;
              at = iy * w + ix;
            }
          }
        }
        out[p * l + oy * g.ow + ox] = best;
        arg[p * l + oy * g.ow + ox] = at;
      }
    }
  }
  return { output: Tensor.fromData(out, [n, c, g.oh, g.ow], x.dtype), attrs: { argmax: Tensor.fromData(arg, [n * c, l], 'float64'), opts } };
}
