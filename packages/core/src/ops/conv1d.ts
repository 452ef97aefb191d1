// conv1d: 1-D convolution of NCL inputs, as a conv2d over a height-1 plane.
import { ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { conv2d } from './conv2d.ts';
import { asTensor } from './define.ts';
import { reshape } from './reshape.ts';
import { pair } from './unfold.ts';

/** Options of {@link conv1d} (PyTorch's names). @category nn */
export interface Conv1dOptions {
  /** Step between windows (default 1). */
  readonly stride?: number;
  /** Zeros added on each side (default 0). */
  readonly padding?: number;
  /** Spacing between the taps (default 1). */
  readonly dilation?: number;
  /** Channel groups (default 1). */
  readonly groups?: number;
}

/**
 * 1-D convolution over `[N, C, L]` inputs, as PyTorch's `F.conv1d`:
 * `y[n, o, t] = b[o] + Σ_c Σ_i w[o, c, i]·x[n, c, s·t + d·i − p]`. It runs as {@link conv2d} on a
 * height-1 plane (reshapes around one recorded conv2d), so it shares its kernel and its gradient.
 * @param x The input, `[N, C, L]`.
 * @param weight The filters, `[O, C/groups, k]`.
 * @param bias Optional, `[O]`.
 * @param opts `stride`, `padding`, `dilation`, `groups`.
 * @returns Shape `[N, O, oL]`, `oL = ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1`.
 * @throws {@link ShapeError} for inputs of the wrong rank or channel count, or a window that does not fit.
 * @throws {@link ArgumentError} for a bad stride, padding, dilation or groups.
 * @example
 * ```ts
 * import { conv1d, tensor } from '@tapegrad/core';
 * console.log(conv1d(tensor([[[1, 2, 3]]]), tensor([[[1, -1]]])).toArray()); // [[[-1, -1]]]
 * ```
 * @category nn
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv1dOptions = {}): Tensor {
  asTensor('conv1d', 'x', x);
  asTensor('conv1d', 'weight', weight);
  if (x.rank !== 3) throw new ShapeError(`conv1d: x must be 3-D [N, C, L], got x ${fmt(x.shape)}`);
  if (weight.rank !== 3) throw new ShapeError(`conv1d: weight must be 3-D [O, C/groups, k], got weight ${fmt(weight.shape)}`);
  const one = (name: string, v: number | undefined, fallback: number, min: number): number => pair('conv1d', name, v, fallback, min)[0];
  const stride = one('stride', opts.stride, 1, 1);
  const padding = one('padding', opts.padding, 0, 0);
  const dilation = one('dilation', opts.dilation, 1, 1);
  const [n, c, l] = x.shape as [number, number, number];
  const [o, cg, k] = weight.shape as [number, number, number];
  const groups = opts.groups ?? 1;
  if (Number.isInteger(groups) && groups >= 1 && cg * groups !== c) {
    throw new ShapeError(`conv1d: weight must have C/groups = ${c / groups} input channels, got x ${fmt(x.shape)}, weight ${fmt(weight.shape)} and groups ${groups}`);
  }
  const y = conv2d(reshape(x, [n, c, 1, l]), reshape(weight, [o, cg, 1, k]), bias, {
    stride: [1, stride], padding: [0, padding], dilation: [1, dilation], groups: opts.groups,
  });
  return reshape(y, [n, o, y.shape[3]!]);
}
