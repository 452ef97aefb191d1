// conv2d: 2-D convolution (cross-correlation) of NCHW inputs through im2col and the GEMM kernel.
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import { gemm } from '../kernels/gemm.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { fold } from './fold.ts';
import { matmul } from './matmul.ts';
import { reshape } from './reshape.ts';
import { sum } from './sum.ts';
import { checkNchw, geometry, im2col, unfold, type WindowOptions } from './unfold.ts';

/** Options of {@link conv2d} (PyTorch's names). @category nn */
export interface Conv2dOptions extends WindowOptions {
  /** Split the channels into this many groups, each convolved with its own filters (default 1). */
  readonly groups?: number;
}

interface Conv2dAttrs {
  readonly opts: WindowOptions;
  readonly groups: number;
  readonly hasBias: boolean;
}

const op = defineOp<Conv2dAttrs>({
  name: 'conv2d',
  // Per group, with X = unfold(x) [K, L] per image and W [Og, K]: Y = W·X + b, so dX = Wᵀ·dY and
  // dW = Σₙ dY·Xᵀ; dx = fold(dX) puts each column back on its window; db = Σ dy over n, h, w.
  rule: 'y = W·unfold(x) + b per group ⇒ dx = fold(Wᵀ·dy), dW = Σₙ dy·unfold(x)ᵀ, db = Σ_{n,h,w} dy',
  backward: ({ inputs, dy, attrs: { opts, groups, hasBias } }) => {
    const [x, w] = inputs as [Tensor, Tensor];
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const [o, , kh, kw] = w.shape as [number, number, number, number];
    const k = (c / groups) * kh * kw;
    const l = dy.shape[2]! * dy.shape[3]!;
    const dyg = reshape(dy, [n, groups, o / groups, l]);
    const wg = reshape(w, [groups, o / groups, k]);
    const dx = x.requiresGrad
      ? fold(reshape(matmul(wg, dyg, { transposeA: true }), [n, c * kh * kw, l]), [h, wd], [kh, kw], opts)
      : null;
    const dw = w.requiresGrad
      ? reshape(sum(matmul(dyg, reshape(unfold(x, [kh, kw], opts), [n, groups, k, l]), { transposeB: true }), 0), w.shape)
      : null;
    const grads: (Tensor | null)[] = [dx, dw];
    if (hasBias) grads.push(inputs[2]!.requiresGrad ? sum(dy, [0, 2, 3]) : null);
    return grads;
  },
  replay: ([x, w, b], { opts, groups, hasBias }) => conv2d(x!, w!, hasBias ? b : null, { ...opts, groups }),
});

/**
 * 2-D convolution over NCHW inputs, as PyTorch's `F.conv2d` (a cross-correlation: the kernel is not
 * flipped): `y[n, o] = b[o] + Σ_c Σ_{i,j} w[o, c, i, j]·x[n, c, s·y + d·i − p, s·x + d·j − p]`, computed
 * as im2col and one GEMM per image and group.
 * @param x The input, `[N, C, H, W]`.
 * @param weight The filters, `[O, C/groups, kH, kW]`.
 * @param bias Optional, `[O]`.
 * @param opts `stride`, `padding` (zeros), `dilation` (each a number or `[h, w]`), `groups` (C and O divisible by it).
 * @returns Shape `[N, O, oH, oW]`, `oH = ⌊(H + 2p − d(kH − 1) − 1)/s⌋ + 1`.
 * @throws {@link ShapeError} for inputs of the wrong rank or channel count, or a window that does not fit.
 * @throws {@link ArgumentError} for a bad stride, padding, dilation or groups.
 * @throws {@link DTypeError} when the dtypes differ.
 * @example
 * ```ts
 * import { conv2d, ones } from '@tapegrad/core';
 * console.log(conv2d(ones([1, 1, 3, 3]), ones([1, 1, 2, 2])).toArray()); // [[[[4, 4], [4, 4]]]]
 * ```
 * @category nn
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  checkNchw('conv2d', 'x', x);
  checkNchw('conv2d', 'weight', weight);
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || o % groups !== 0) {
    throw new ArgumentError(`conv2d: groups must be a positive integer dividing the input channels ${c} and the output channels ${o}, got ${groups}`);
  }
  if (cg !== c / groups) {
    throw new ShapeError(`conv2d: weight must have C/groups = ${c / groups} input channels, got x ${fmt(x.shape)}, weight ${fmt(weight.shape)} and groups ${groups}`);
  }
  if (weight.dtype !== x.dtype) throw new DTypeError(`conv2d: weight must have x's dtype ${x.dtype}, got ${weight.dtype}`);
  if (bias !== undefined && bias !== null) {
    asTensor('conv2d', 'bias', bias);
    if (bias.rank !== 1 || bias.shape[0] !== o) throw new ShapeError(`conv2d: bias must be [${o}], got bias ${fmt(bias.shape)}`);
    if (bias.dtype !== x.dtype) throw new DTypeError(`conv2d: bias must have x's dtype ${x.dtype}, got ${bias.dtype}`);
  }
  const window: WindowOptions = { stride: opts.stride, padding: opts.padding, dilation: opts.dilation };
  const g = geometry('conv2d', h, wd, [kh, kw], window);
  const l = g.oh * g.ow;
  const k = cg * kh * kw;
  const og = o / groups;
  const cols = alloc(x.dtype, c * kh * kw * l);
  const out = alloc(x.dtype, n * o * l);
  const xd = x.data;
  for (let i = 0; i < n; i++) {
    im2col(xd.subarray(i * c * h * wd, (i + 1) * c * h * wd), cols, 1, c, g);
    for (let gi = 0; gi < groups; gi++) gemm(weight.data, cols, out, og, l, k, false, false, gi * og * k, gi * k * l, (i * o + gi * og) * l);
  }
  if (bias) {
    const bd = bias.data;
    for (let i = 0; i < n * o; i++) {
      const bv = bd[i % o]!;
      for (let j = i * l; j < (i + 1) * l; j++) out[j] = out[j]! + bv;
    }
  }
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(op, inputs, Tensor.fromData(out, [n, o, g.oh, g.ow], x.dtype), { opts: window, groups, hasBias: !!bias });
}
