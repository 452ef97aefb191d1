// convTranspose2d: the transposed convolution (the adjoint of conv2d in x), as a GEMM and fold.
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { add } from './add.ts';
import { asTensor } from './define.ts';
import { fold } from './fold.ts';
import { matmul } from './matmul.ts';
import { reshape } from './reshape.ts';
import { checkNchw, pair, type Size2 } from './unfold.ts';

/** Options of {@link convTranspose2d} (PyTorch's names). @category nn */
export interface ConvTranspose2dOptions {
  /** The stride of the convolution this transposes (default 1). */
  readonly stride?: Size2;
  /** The padding of the convolution this transposes: rows and columns cut from each side of the result (default 0). */
  readonly padding?: Size2;
  /** Extra rows and columns on the bottom/right of the result, smaller than the stride (default 0). */
  readonly outputPadding?: Size2;
  /** Channel groups (default 1). */
  readonly groups?: number;
  /** Spacing between the kernel taps (default 1). */
  readonly dilation?: Size2;
}

/**
 * 2-D transposed convolution over NCHW inputs, as PyTorch's `F.conv_transpose2d`: the adjoint of
 * {@link conv2d} with respect to its input, so each input pixel scatters `x·w` over a window of the
 * output. Per group it is one GEMM, `cols = Wᵀ·x`, and {@link fold} adds the columns into the image;
 * the rules of matmul and fold give its gradient.
 * @param x The input, `[N, Cin, H, W]`.
 * @param weight The filters, `[Cin, Cout/groups, kH, kW]`.
 * @param bias Optional, `[Cout]`.
 * @param opts `stride`, `padding`, `outputPadding` (below the stride), `groups`, `dilation`.
 * @returns Shape `[N, Cout, oH, oW]`, `oH = (H − 1)·s − 2p + d(kH − 1) + outputPadding + 1`.
 * @throws {@link ShapeError} for inputs of the wrong rank or channel count, or an empty result.
 * @throws {@link ArgumentError} for a bad size, groups or outputPadding.
 * @throws {@link DTypeError} when the dtypes differ.
 * @example
 * ```ts
 * import { convTranspose2d, ones } from '@tapegrad/core';
 * console.log(convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2])).toArray()); // [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]
 * ```
 * @category nn
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTranspose2dOptions = {}): Tensor {
  checkNchw('convTranspose2d', 'x', x);
  checkNchw('convTranspose2d', 'weight', weight);
  const [n, cin, h, w] = x.shape as [number, number, number, number];
  const [wc, cog, kh, kw] = weight.shape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0) {
    throw new ArgumentError(`convTranspose2d: groups must be a positive integer dividing the input channels ${cin}, got ${groups}`);
  }
  if (wc !== cin) throw new ShapeError(`convTranspose2d: weight must be [Cin = ${cin}, Cout/groups, kH, kW], got x ${fmt(x.shape)} and weight ${fmt(weight.shape)}`);
  if (weight.dtype !== x.dtype) throw new DTypeError(`convTranspose2d: weight must have x's dtype ${x.dtype}, got ${weight.dtype}`);
  const cout = cog * groups;
  if (bias !== undefined && bias !== null) {
    asTensor('convTranspose2d', 'bias', bias);
    if (bias.rank !== 1 || bias.shape[0] !== cout) throw new ShapeError(`convTranspose2d: bias must be [${cout}], got bias ${fmt(bias.shape)}`);
    if (bias.dtype !== x.dtype) throw new DTypeError(`convTranspose2d: bias must have x's dtype ${x.dtype}, got ${bias.dtype}`);
  }
  const [sh, sw] = pair('convTranspose2d', 'stride', opts.stride, 1, 1);
  const [ph, pw] = pair('convTranspose2d', 'padding', opts.padding, 0, 0);
  const [dh, dw] = pair('convTranspose2d', 'dilation', opts.dilation, 1, 1);
  const [oph, opw] = pair('convTranspose2d', 'outputPadding', opts.outputPadding, 0, 0);
  if (oph >= sh || opw >= sw) {
    throw new ArgumentError(`convTranspose2d: outputPadding must be smaller than stride, got outputPadding [${oph}, ${opw}] and stride [${sh}, ${sw}]`);
  }
  const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
  const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
  if (oh < 1 || ow < 1) throw new ShapeError(`convTranspose2d: the result would be empty, got output size [${oh}, ${ow}] for x ${fmt(x.shape)} and weight ${fmt(weight.shape)}`);
  const cg = cin / groups;
  const k = cog * kh * kw;
  // Per group: cols [k, H·W] = W_gᵀ [k, cg] · x_g [cg, H·W], then fold adds each column onto its window.
  const cols = matmul(reshape(weight, [groups, cg, k]), reshape(x, [n, groups, cg, h * w]), { transposeA: true });
  const y = fold(reshape(cols, [n, cout * kh * kw, h * w]), [oh, ow], [kh, kw], { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] });
  return bias ? add(y, reshape(bias, [1, cout, 1, 1])) : y;
}
