// unfold: sliding kH×kW windows of an NCHW tensor laid out as columns (im2col; its derivative is fold).
import { ArgumentError, ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import type { FloatArray } from '../base/dtype.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { fold } from './fold.ts';

/** One size per spatial axis, or one for both. @category nn */
export type Size2 = number | readonly [number, number];

/** Window options of {@link unfold}, {@link fold} and the convolutions (PyTorch's names). @category nn */
export interface WindowOptions {
  /** Step between windows (default 1). */
  readonly stride?: Size2;
  /** Zeros added on each side of each spatial axis (default 0). */
  readonly padding?: Size2;
  /** Spacing between the taps of a window (default 1). */
  readonly dilation?: Size2;
}

/** The window geometry on an H×W plane: kernel, stride, padding, dilation and output size, per axis. @internal */
export interface Geometry {
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly ph: number;
  readonly pw: number;
  readonly dh: number;
  readonly dw: number;
  readonly h: number;
  readonly w: number;
  readonly oh: number;
  readonly ow: number;
}

/** Reads a Size2 option as a pair of integers ≥ min. @internal */
export function pair(op: string, name: string, v: Size2 | undefined, fallback: number, min: number): [number, number] {
  const p = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < min)) {
    throw new ArgumentError(`${op}: ${name} must be an integer ≥ ${min} or a pair of them, got ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`);
  }
  return [p[0]!, p[1]!];
}

/** Validates the window options against an H×W plane and computes the output size. @internal */
export function geometry(op: string, h: number, w: number, kernelSize: Size2, opts: WindowOptions): Geometry {
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, 1, 1);
  const [sh, sw] = pair(op, 'stride', opts.stride, 1, 1);
  const [ph, pw] = pair(op, 'padding', opts.padding, 0, 0);
  const [dh, dw] = pair(op, 'dilation', opts.dilation, 1, 1);
  const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new ShapeError(`${op}: the window (kernelSize [${kh}, ${kw}], dilation [${dh}, ${dw}]) does not fit the padded input [${h + 2 * ph}, ${w + 2 * pw}] (spatial size [${h}, ${w}], padding [${ph}, ${pw}])`);
  }
  return { kh, kw, sh, sw, ph, pw, dh, dw, h, w, oh, ow };
}

/**
 * im2col of planes: `cols[p][(c·kh + i)·kw + j][oy·ow + ox] = x[p][c][oy·sh − ph + i·dh][ox·sw − pw + j·dw]`
 * (0 outside), for `planes` blocks of `c` channels, written at `colsOffset`. When `isAdjoint`, the
 * reverse: col2im, adding the columns back into x (which must start zeroed).
 * @internal
 */
export function im2col(x: FloatArray, cols: FloatArray, planes: number, c: number, g: Geometry, isAdjoint = false, colsOffset = 0): void {
  const { kh, kw, sh, sw, ph, pw, dh, dw, h, w, oh, ow } = g;
  const l = oh * ow;
  for (let p = 0; p < planes; p++) {
    for (let ch = 0; ch < c; ch++) {
      const xBase = (p * c + ch) * h * w;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const row = colsOffset + ((p * c + ch) * kh * kw + i * kw + j) * l;
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * sh - ph + i * dh;
            const at = row + oy * ow;
            if (iy < 0 || iy >= h) {
              if (!isAdjoint) cols.fill(0, at, at + ow);
              continue;
            }
            const xRow = xBase + iy * w;
            for (let ox = 0; ox < ow; ox++) {
              const ix = ox * sw - pw + j * dw;
              if (ix < 0 || ix >= w) {
                if (!isAdjoint) cols[at + ox] = 0;
              } else if (isAdjoint) x[xRow + ix] = x[xRow + ix]! + cols[at + ox]!;
              else cols[at + ox] = x[xRow + ix]!;
            }
          }
        }
      }
    }
  }
}

interface UnfoldAttrs {
  readonly kernelSize: readonly [number, number];
  readonly opts: WindowOptions;
}

const op = defineOp<UnfoldAttrs>({
  name: 'unfold',
  rule: 'y = the windows of x as columns, each y element is one x element or 0 ⇒ dx = fold(dy): each column added back where it came from',
  backward: ({ inputs: [x], dy, attrs: { kernelSize, opts } }) => [fold(dy, [x!.shape[2]!, x!.shape[3]!], kernelSize, opts)],
  replay: ([x], { kernelSize, opts }) => unfold(x!, kernelSize, opts),
});

/** Checks a 4-D NCHW input. @internal */
export function checkNchw(op: string, name: string, x: Tensor): void {
  asTensor(op, name, x);
  if (x.rank !== 4) throw new ShapeError(`${op}: ${name} must be 4-D [N, C, H, W], got ${name} ${fmt(x.shape)}`);
}

/**
 * Extracts sliding windows as columns (im2col), as PyTorch's `F.unfold`: for x `[N, C, H, W]`, column
 * `l` of the result holds the `C·kH·kW` values of window `l` (channel-major, then kernel row, then column).
 * @param x The input, `[N, C, H, W]`.
 * @param kernelSize The window size (one number for both axes, or `[kH, kW]`).
 * @param opts `stride`, `padding` (zeros), `dilation`.
 * @returns Shape `[N, C·kH·kW, L]`, L = the number of windows (`oH·oW`).
 * @throws {@link ShapeError} when x is not 4-D or the window does not fit.
 * @throws {@link ArgumentError} for a size that is not a positive integer (padding: non-negative).
 * @example
 * ```ts
 * import { tensor, unfold } from '@tapegrad/core';
 * console.log(unfold(tensor([[[[1, 2], [3, 4]]]]), 2).toArray()); // [[[1], [2], [3], [4]]]
 * ```
 * @category nn
 */
export function unfold(x: Tensor, kernelSize: Size2, opts: WindowOptions = {}): Tensor {
  checkNchw('unfold', 'x', x);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const g = geometry('unfold', h, w, kernelSize, opts);
  const rows = c * g.kh * g.kw;
  const out = alloc(x.dtype, n * rows * g.oh * g.ow);
  im2col(x.data, out, n, c, g);
  return record(op, [x], Tensor.fromData(out, [n, rows, g.oh * g.ow], x.dtype), { kernelSize: [g.kh, g.kw], opts });
}
